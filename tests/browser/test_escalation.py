"""End to end in a real browser: an agent escalates a ticket and sees the dual status.

Chromium and its fixtures: tests/browser/conftest.py.
"""

import re

import pytest

from defects.models import Defect
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD
from tests.factories import PNG
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    page, live_server, log_in, agent, make_ticket, other_customer
):
    from playwright.sync_api import expect

    make_ticket(subject="Acme cannot print")
    make_ticket(subject="Globex cannot print", customer=other_customer)
    log_in(agent)
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
