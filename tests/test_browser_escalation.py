"""End to end in a real browser: an agent escalates a ticket and sees the dual status.

Drives Debian's Chromium with Playwright against pytest-django's live server.
Skips when Chromium is missing, unless HANDOFF_REQUIRE_BROWSER=1 (CI) makes it fail.
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from defects.models import Defect
from core.roles import ALL_ROLES
from tests.conftest import PASSWORD
from tests.tickets.test_escalate import PNG
from tickets.models import Ticket

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TIMEOUT_MS = 15_000

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _role_groups(transactional_db) -> None:
    # An earlier transactional test flushes the groups the migration created.
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def page(live_server, monkeypatch):
    """A Chromium page. Playwright's sync API runs an event loop in this thread,
    so Django's guard against ORM calls from async code must stand down."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("HANDOFF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HANDOFF_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            # Chromium reports what the Content-Security-Policy blocked on the console:
            # an inline script or style left in a page, or htmx or a chart injecting one.
            blocked: list[str] = []
            page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
            yield page
            assert blocked == [], "the Content-Security-Policy blocked something"
        finally:
            browser.close()
            # Code run while Playwright is active gets its own database connection
            # (Django keeps connections per context); close it here, or it would
            # stay open and block dropping the test database on PostgreSQL.
            connection.close()


def test_an_agent_escalates_a_ticket_in_the_browser_and_sees_the_dual_status(
    page, live_server, agent, ticket, version, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    shot = tmp_path / "screen.png"
    shot.write_bytes(PNG)

    # Log in through the form.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Open the ticket from the list; the dashboard comes first.
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    page.get_by_role("link", name=ticket.subject).click()
    expect(page.locator("#helpdesk-status")).to_have_text("New")
    expect(page.locator("#engineering-status")).to_have_text("Not escalated")

    # Escalate through the form; the computed severity follows the choices.
    page.get_by_role("link", name="Escalate to engineering").click()
    expect(page.get_by_role("heading", name=f"Escalate {ticket.number} to engineering")).to_be_visible()
    # The similar open defects arrive by their own request (htmx) once the page is shown.
    expect(page.locator("#similar-defects")).to_contain_text("No open defect looks like this ticket")
    page.get_by_label("Title").fill("PDF export times out on large invoices")
    page.get_by_label("Impact").select_option("entire_customer")
    page.get_by_label("Urgency").select_option("degraded")
    expect(page.locator("#computed-severity")).to_contain_text("S2 - major")
    page.get_by_label("Steps to reproduce").fill("1. Open a 500-line invoice\n2. Export it to PDF")
    page.get_by_label("Expected result").fill("A PDF download")
    page.get_by_label("Actual result").fill("A timeout after 30 seconds")
    page.get_by_label("Version").select_option(str(version.pk))
    page.get_by_label("Screenshots and logs").set_input_files(str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "escalation-form.png"), full_page=True)
    page.get_by_role("button", name="Escalate to engineering").click()

    # Back on the ticket: both statuses and the defect key.
    defect = Defect.objects.get()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Escalated to engineering as {defect.key}")
    expect(page.locator("#helpdesk-status")).to_have_text("Awaiting engineering")
    expect(page.locator("#engineering-status")).to_contain_text("New")
    expect(page.locator("#engineering-status")).to_contain_text(defect.key)
    expect(page.get_by_role("link", name="screen.png")).to_be_visible()

    page.screenshot(path=str(ARTIFACTS / "escalated-ticket.png"), full_page=True)

    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.AWAITING_ENGINEERING
    assert defect.attachments.get().name == "screen.png"


def test_an_agent_filters_the_ticket_list_by_typing_part_of_a_customers_name(
    page, live_server, agent, make_ticket, other_customer
):
    from playwright.sync_api import expect

    make_ticket(subject="Acme cannot print")
    make_ticket(subject="Globex cannot print", customer=other_customer)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{live_server.url}/tickets/")

    # Typing asks the server for matching names; they fill the input's suggestions.
    customer = page.get_by_label("Customer")
    customer.press_sequentially("glob", delay=50)
    expect(page.locator('#id_customer-suggestions option[value="Globex"]')).to_have_count(1)
    customer.fill("Globex")
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_role("link", name="Globex cannot print")).to_be_visible()
    expect(page.get_by_role("link", name="Acme cannot print")).to_have_count(0)
    expect(page.get_by_label("Customer")).to_have_value("Globex")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ticket-list-customer-filter.png"), full_page=True)

    # A link by id (other pages use them) shows the customer's name too.
    page.goto(f"{live_server.url}/tickets/?customer={other_customer.pk}")
    expect(page.get_by_label("Customer")).to_have_value("Globex")
