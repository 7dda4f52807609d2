"""In a real browser, at a laptop's width (1366 px) and a phone's (390 px): a comment appears without a
reload and a double click posts it once; a ticket is linked to a defect after a confirmation, and
unlinked with a reason that the history keeps.

Chromium and its fixtures: tests/browser/conftest.py.
"""

import re

import pytest

from core.audit import audit_history
from defects.models import Comment, TicketDefectLink
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD
from tests.factories import escalate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)


def sign_in(page, live_server, user, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}{path}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_comment_appears_without_a_reload_and_a_double_click_posts_it_once(
    width, page, live_server, agent, ticket
):
    from playwright.sync_api import expect

    defect = escalate(ticket, agent)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, agent, f"/defects/{defect.pk}/")
    # A mark on the window: a reload would wipe it.
    page.evaluate("window.handoffNotReloaded = true")

    thread = page.locator("#thread")
    thread.get_by_label("Comment").fill("The customer sees it on Firefox 128 too.")
    thread.get_by_role("button", name="Add comment").dblclick()

    expect(thread.get_by_role("status")).to_have_text("Comment added.")
    expect(thread.locator("li.comment")).to_have_count(1)
    expect(thread.locator("li.comment")).to_contain_text("The customer sees it on Firefox 128 too.")
    expect(thread.get_by_label("Comment")).to_have_value("")
    assert page.evaluate("window.handoffNotReloaded") is True
    assert Comment.objects.filter(defect=defect).count() == 1

    # A second comment from the fresh form is a new one.
    thread.get_by_label("Comment").fill("And on Safari.")
    thread.get_by_role("button", name="Add comment").click()
    expect(thread.locator("li.comment")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"comment-posted-{width}.png"), full_page=True)


def test_without_javascript_a_double_click_still_posts_once(page, live_server, agent, ticket):
    from playwright.sync_api import expect

    context = page.context.browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    try:
        plain = context.new_page()
        sign_in(plain, live_server, agent, f"/tickets/{ticket.pk}/")
        plain.locator("#thread").get_by_label("Comment").fill("Posted from a page without script.")
        plain.locator("#thread").get_by_role("button", name="Add comment").dblclick()

        expect(plain.locator("#thread li.comment")).to_have_count(1)
        expect(plain.locator("#thread")).to_contain_text("Posted from a page without script.")
        # Whichever of the two posts the browser shows the answer to: the first ("Comment
        # added.") or, when the second answers first under load, its refusal.
        expect(plain.locator(".messages")).to_contain_text(re.compile(r"Comment added|already posted"))
        assert Comment.objects.filter(ticket=ticket).count() == 1
    finally:
        context.close()


def test_the_same_form_sent_twice_at_once_adds_one_comment(page, live_server, agent, ticket):
    """Two posts of one form racing (a double submit the page did not stop): the form token lets one through."""
    from playwright.sync_api import expect

    sign_in(page, live_server, agent, f"/tickets/{ticket.pk}/")
    page.locator("#thread").get_by_label("Comment").fill("Sent twice at once.")
    statuses = page.evaluate("""async () => {
        const form = document.getElementById("comment-form");
        const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
        const answers = await Promise.all([send(), send()]);
        return answers.map((answer) => answer.status);
    }""")

    assert statuses == [200, 200]  # each redirected to the ticket page
    assert Comment.objects.filter(ticket=ticket, body="Sent twice at once.").count() == 1
    page.reload()
    expect(page.locator("#thread li.comment")).to_have_count(1)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_agent_links_after_confirming_then_unlinks_with_a_reason(
    width, page, live_server, agent, make_ticket, other_customer
):
    from playwright.sync_api import expect

    defect = escalate(
        make_ticket(subject="Reminders", description="No reminders."), agent,
        title="Dunning letters never leave the queue", impact="single_user", urgency="blocked",
    )
    ticket = make_ticket(customer=other_customer)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, agent, f"/tickets/{ticket.pk}/escalate/")

    # Not among the suggestions: found by its words, then confirmed.
    search = page.get_by_role("search")
    search.get_by_label(f"Find an open {ticket.product.name} defect by key or words").fill("dunning queue")
    search.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=f"Link to {defect.key}…").click()
    expect(page.get_by_role("heading", name=f"Link {ticket.number} to {defect.key}?")).to_be_visible()
    expect(page.locator("#severity-rises")).to_contain_text("Its severity rises from S3 to S1")
    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()
    page.get_by_role("button", name=f"Link {ticket.number} to {defect.key}").click()
    expect(page.locator("#helpdesk-status")).to_have_text("Awaiting engineering")

    # Unlinked from the ticket page, with a reason.
    page.get_by_role("link", name=f"Unlink from {defect.key}…").click()
    expect(page.locator("#unlink-changes")).to_contain_text(f"{defect.key} counts 1 customer (now 2)")
    page.get_by_role("button", name=f"Unlink {ticket.number} from {defect.key}").click()
    expect(page.get_by_label("Why unlink it")).to_be_visible()  # refused without a reason
    page.get_by_label("Why unlink it").fill("Another product's invoices")
    page.get_by_role("button", name=f"Unlink {ticket.number} from {defect.key}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{ticket.number} is no longer linked to {defect.key}.")
    expect(page.locator("#helpdesk-status")).to_have_text("Open")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"unlinked-{width}.png"), full_page=True)

    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()
    entry = audit_history(ticket).get(action="unlinked")
    assert (entry.old, entry.actor, entry.reason) == (defect.key, agent, "Another product's invoices")
    assert audit_history(defect).filter(action="unlinked", old=ticket.number).exists()
