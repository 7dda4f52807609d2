"""End to end in a real browser: an engineer triages from the queue, the agent sees it on the ticket.

Chromium and its fixtures: tests/browser/conftest.py.
"""

import re

import pytest

from defects.models import Defect
from tests.browser.conftest import ARTIFACTS
from tests.factories import escalate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def bulk(page, defect: Defect, **choices) -> None:
    form = page.locator("#bulk-form")
    form.get_by_label(f"Select {defect.key}").check()
    for label, value in choices.items():
        form.get_by_label(label).select_option(value)
    form.get_by_role("button", name="Apply").click()


def test_the_engineer_triages_from_the_queue_and_the_agent_sees_it_on_the_ticket(
    page, log_in, agent, engineer, ticket, release
):
    from playwright.sync_api import expect

    defect = escalate(ticket, agent)

    # The engineer finds the defect at the top of their team's queue.
    log_in(engineer)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#my-queue")).to_contain_text(defect.key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    row = page.locator(f"#row-{defect.key}")
    expect(row.locator(".status")).to_have_text("New")

    # Triage: status first, then the planned release, each as a bulk action on the row.
    bulk(page, defect, **{"Action": "change_status", "New status": "triage"})
    expect(page.get_by_role("status")).to_contain_text("Change status: done for 1 defect.")
    expect(row.locator(".status")).to_have_text("Triage")
    bulk(page, defect, **{"Action": "set_planned_release", "Planned release (an estimate)": str(release.pk)})
    expect(row.locator(".planned")).to_contain_text("2.4.0")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "triage-queue.png"), full_page=True)
    page.get_by_role("button", name="Log out").click()

    # The agent sees the new engineering status and the planned release, as an estimate.
    log_in(agent)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    awaiting = page.locator("#awaiting-engineering")
    expect(awaiting).to_contain_text(ticket.number)
    expect(awaiting).to_contain_text("planned 2.4.0 (estimate)")
    awaiting.get_by_role("link", name=ticket.number).click()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.locator("#engineering-status")).to_contain_text("Triage")
    expect(page.locator("#planned-release")).to_contain_text("2.4.0")
    expect(page.locator("#planned-release")).to_contain_text("estimate, not a promise")
    expect(page.locator("#helpdesk-status")).to_have_text("Awaiting engineering")
    page.screenshot(path=str(ARTIFACTS / "triaged-ticket.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.locator("table.notifications")).to_contain_text("planned for 2.4.0 (an estimate, not a promise)")

    defect.refresh_from_db()
    assert (defect.status, defect.planned_release) == (Defect.Status.TRIAGE, release)
