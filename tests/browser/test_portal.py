"""End to end in a real browser, on a desk and on a 390 px wide phone: a customer's contact signs in to
the portal with a link sent by email, reads that a fix is planned, replies, and sees the agent's answer.

Chromium and its fixtures: tests/browser/conftest.py.
"""

import re

import pytest
from django.core import mail

from core.models import Channel
from defects.models import Comment, Defect
from defects.services.changes import defect_update
from defects.services.comments import comment_add
from portal.models import PortalAccount
from tests.browser.conftest import ARTIFACTS
from tests.factories import escalate, walk
from tickets.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_a_contact_signs_in_by_link_reads_the_planned_fix_replies_and_sees_the_answer(
    page, live_server, settings, viewport, make_ticket, contact, agent, engineer, release
):
    from playwright.sync_api import expect

    settings.HANDOFF_BASE_URL = live_server.url
    Customer.objects.filter(pk=contact.customer_id).update(portal_enabled=True, portal_scope="organisation")
    PortalAccount.objects.create(contact=contact)
    ticket = make_ticket(contact=contact, subject="Invoice PDF export times out")
    defect = walk(escalate(ticket, agent), Defect.Status.IN_PROGRESS, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    page.set_viewport_size(viewport)
    shot = "phone" if viewport["width"] < 500 else "desktop"
    mail.outbox = []

    # Ask for a sign-in link, and open it from the email.
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Email me a sign-in link instead").click()
    page.get_by_label("Email address").fill(contact.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("a sign-in link is on its way")
    [message] = [m for m in mail.outbox if m.to == [contact.email]]
    link = re.search(r"(http://\S+/portal/link/\S+/)", message.body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()

    # The ticket list, then the ticket: the plan, in plain words.
    expect(page.get_by_role("heading", name="Your organisation's tickets")).to_be_visible()
    row = page.get_by_role("listitem").filter(has_text=ticket.subject)
    planned = "A fix is planned for version 2.4.0 (an estimate, not a promise)"
    expect(row).to_contain_text(planned)
    page.get_by_role("link", name=ticket.subject).click()
    expect(page.locator("#plain-status")).to_have_text(planned)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-ticket-{shot}.png"), full_page=True)

    # Reply; the reply is in the conversation.
    page.get_by_label("Your reply").fill("It also happens with 300 lines.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#conversation")).to_contain_text("It also happens with 300 lines.")
    assert Comment.objects.get(ticket=ticket).author_contact == contact

    # The agent answers the customer; the contact sees it.
    agent.first_name = "Alice"
    agent.save()
    comment_add(actor=agent, channel=Channel.WEB, body="Thanks, that helps. The fix is in testing.",
                visibility="customer", ticket=ticket)
    comment_add(actor=agent, channel=Channel.WEB, body="Internal: ask engineering", visibility="internal",
                ticket=ticket)
    page.reload()
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("Thanks, that helps. The fix is in testing.")
    expect(conversation).to_contain_text("Alice (support)")
    expect(conversation).not_to_contain_text("Internal: ask engineering")
    # Nothing is wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    page.screenshot(path=str(ARTIFACTS / f"portal-conversation-{shot}.png"), full_page=True)
