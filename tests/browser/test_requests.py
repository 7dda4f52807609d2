"""End to end in a real browser: an agent sends an enhancement request, a product manager plans it."""

import pytest

from enhancements.models import EnhancementRequest
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_sends_a_request_and_a_product_manager_plans_it(
    page, live_server, log_in, agent, product_manager, ticket, release
):
    from playwright.sync_api import expect

    log_in(agent, f"/tickets/{ticket.pk}/")
    page.get_by_role("link", name="Send an enhancement request").click()
    expect(page.get_by_role("heading", name=f"Send {ticket.number} to product management")).to_be_visible()
    page.get_by_label("Title").fill("VAT per line in the invoice export")
    page.get_by_label("The customer's problem or goal").fill("Their accountants need the VAT of each line.")
    page.get_by_label("How much it matters").select_option("blocks_deal")
    page.get_by_role("button", name="Send to product management").click()
    request = EnhancementRequest.objects.get()
    expect(page.locator("#request-status")).to_contain_text(f"{request.key} New")

    page.context.clear_cookies()
    log_in(product_manager, "/requests/")
    expect(page.locator("#request-queue")).to_contain_text("Acme Corp")
    page.get_by_role("link", name=request.key).click()
    page.locator("#id_to").select_option("under_review")
    page.get_by_role("button", name="Move").click()
    expect(page.locator("#request-status")).to_have_text("Under review")
    page.locator("#id_to").select_option("planned")
    page.locator("#id_target_release").select_option(str(release.pk))
    page.get_by_role("button", name="Move").click()
    expect(page.locator("#request-status")).to_have_text("Planned for 2.4.0 (estimate, not a promise)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "request-planned.png"), full_page=True)

    page.context.clear_cookies()
    log_in(agent, f"/tickets/{ticket.pk}/")
    expect(page.locator("#request-status")).to_contain_text("Planned for 2.4.0 (estimate, not a promise)")
