"""A working day on the demo data, in Chromium at a laptop's width (1366 px) and a phone's (390 px).

For each role, every page the demo links to (tests/browser/crawl.py) fits the screen
without sideways scrolling and shows no internal code (awaiting_engineering,
fix_released, ...) in its visible text. The main pages pass axe-core with no serious
or critical violation. The phone menu, the new-ticket form's choices and the queue's
bulk box work as a person expects.
"""

import re

import pytest
from django.core.management import call_command

from tests.browser.accessibility import axe_violations
from tests.browser.crawl import crawl, internal_codes
from tools.demo_data import PASSWORD as DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)
ROLES = ("agent", "engineer", "manager", "pm")


@pytest.fixture
def demo(settings, tmp_path):
    """The demo help desk (manage.py load_demo), in the test database."""
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


@pytest.fixture
def sign_in(page, live_server):
    def submit(username: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return submit


def _codes_pattern() -> re.Pattern:
    codes = sorted(internal_codes(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, codes)) + r")\b")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_or_shows_an_internal_code(role, demo, page, live_server, sign_in):
    codes = _codes_pattern()
    sign_in(role)
    problems: list[str] = []

    def check(path: str) -> None:
        sizes = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if sizes[0] > sizes[1]:
            problems.append(f"{path} at {sizes[1]} px is {sizes[0]} px wide")
        found = sorted(set(codes.findall(page.evaluate("document.body.innerText"))))
        if found:
            problems.append(f"{path} shows {', '.join(found)}")

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        visited = crawl(page, live_server.url, visit=check)
        assert len(visited) > 10, visited
    assert problems == []


MAIN_PAGES = {
    "agent": ["/", "/tickets/", "/tickets/{ticket}/", "/tickets/new/", "/defects/", "/notifications/",
              "/account/preferences/"],
    "engineer": ["/", "/defects/queue/", "/defects/{defect}/", "/releases/", "/sync/"],
    "manager": ["/", "/releases/", "/releases/{release}/report/", "/releases/reports/", "/tickets/{ticket}/"],
    "pm": ["/", "/requests/", "/requests/{request}/", "/requests/report/"],
}


def _ids() -> dict:
    from defects.models import Defect
    from enhancements.models import EnhancementRequest
    from releases.models import Release
    from tickets.models import Ticket

    return {
        # The busiest of each: a ticket with a defect, a defect with tickets, a shipped release.
        "ticket": Ticket.objects.filter(defect_links__isnull=False).order_by("pk").first().pk,
        "defect": Defect.objects.order_by("-ticket_count", "pk").first().pk,
        "release": Release.objects.filter(status="released").order_by("pk").first().pk,
        "request": EnhancementRequest.objects.order_by("pk").first().pk,
    }


@pytest.mark.parametrize("role", ROLES)
def test_the_main_pages_have_no_serious_accessibility_violation(role, demo, page, live_server, sign_in):
    ids = _ids()
    page.goto(f"{live_server.url}/accounts/login/")
    found = {"/accounts/login/": axe_violations(page)}
    sign_in(role)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in MAIN_PAGES[role]:
            path = path.format(**ids)
            page.goto(live_server.url + path)
            found[f"{path} at {width} px"] = axe_violations(page)
    assert {where: issues for where, issues in found.items() if issues} == {}


def test_on_a_phone_the_menu_folds_behind_a_button_that_reaches_every_item(demo, page, live_server, sign_in):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 800})
    sign_in("manager")
    menu = page.get_by_role("button", name="Menu")
    nav = page.locator(".mainnav")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Releases")).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Releases", "Notifications", "Reports", "Admin"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    nav.get_by_role("link", name="Releases", exact=True).click()
    page.wait_for_url(f"{live_server.url}/releases/")
    current = page.locator('.mainnav a[aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text("Releases")

    page.set_viewport_size({"width": 1366, "height": 800})
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()


def test_the_new_ticket_form_offers_only_the_chosen_customers_contacts(demo, page, live_server, sign_in):
    from playwright.sync_api import expect

    from tickets.models import Contact, Customer, Product

    customer = Customer.objects.filter(contacts__isnull=False).order_by("pk").first()
    product = Product.objects.filter(components__isnull=False).order_by("pk").first()
    sign_in("agent")
    page.goto(f"{live_server.url}/tickets/new/")

    def offered(name: str) -> set[str]:
        return set(page.eval_on_selector_all(
            f'select[name="{name}"] option:not([hidden]):not([value=""])', "options => options.map(o => o.value)"
        ))

    assert offered("contact") == set() and offered("component") == set()
    # The customer is typed; its contacts come from the server (htmx) once the name is its alone.
    page.get_by_label("Customer").fill(customer.name)
    contacts = Contact.objects.filter(customer=customer).values_list("pk", flat=True)
    expect(page.locator('select[name="contact"] option')).to_have_count(len(contacts) + 1)
    assert offered("contact") == {str(pk) for pk in contacts}
    other = Customer.objects.filter(contacts__isnull=False).exclude(pk=customer.pk).order_by("pk").first()
    page.get_by_label("Customer").fill(other.name)
    theirs = Contact.objects.filter(customer=other).values_list("pk", flat=True)
    expect(page.locator(f'select[name="contact"] option[value="{theirs[0]}"]')).to_have_count(1)
    assert offered("contact") == {str(pk) for pk in theirs}
    page.select_option('select[name="product"]', str(product.pk))
    assert offered("component") == {str(pk) for pk in product.components.values_list("pk", flat=True)}

    # And the ticket is made for the customer typed, naming the contact chosen.
    from tickets.models import Ticket

    page.get_by_label("Subject").fill("Invoices export times out")
    page.select_option('select[name="contact"]', str(theirs[0]))
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(re.compile(r".*/tickets/\d+/$"))
    made = Ticket.objects.get(subject="Invoices export times out")
    assert (made.customer_id, made.contact_id, made.product_id) == (other.pk, theirs[0], product.pk)


def test_the_queues_bulk_box_shows_only_the_chosen_actions_fields(demo, page, live_server, sign_in):
    from playwright.sync_api import expect

    sign_in("engineer")
    page.goto(f"{live_server.url}/defects/queue/")
    box = page.locator("fieldset.bulk-actions")
    action = box.locator('select[name="action"]')

    action.select_option("assign_team")
    expect(box.locator('select[name="team"]')).to_be_visible()
    expect(box.locator('select[name="to"]')).to_be_hidden()
    expect(box.locator('input[name="reason"]')).to_be_hidden()

    action.select_option("change_status")
    expect(box.locator('select[name="to"]')).to_be_visible()
    expect(box.locator('input[name="reason"]')).to_be_visible()
    expect(box.locator('select[name="team"]')).to_be_hidden()
    expect(box.locator('select[name="planned_release"]')).to_be_hidden()
