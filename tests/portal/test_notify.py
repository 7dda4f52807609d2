"""Emails to a contact when what they read of their ticket changes: one per change, none for internal events."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from core.models import Channel
from defects.models import Defect
from defects.services.changes import defect_update
from defects.services.comments import comment_add
from portal.models import PortalAccount
from portal.services.accounts import portal_invite
from releases.services.ship import release_ship
from tests.factories import escalate, move, walk
from tickets.models import Ticket
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db
D = Defect.Status
CAROL = "carol@acme.test"


def to_carol(outbox) -> list:
    """The emails the contact got (agents get their own notifications too)."""
    return [m for m in outbox if m.to == [CAROL]]


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.HANDOFF_BASE_URL = "https://support.example.test"


@pytest.fixture
def followed(make_ticket, contact, agent, portal_customer, django_capture_on_commit_callbacks, outbox):
    """Carol's ticket escalated to engineering, and Carol invited to the portal afterwards."""
    ticket = make_ticket(contact=contact)
    defect = escalate(ticket, agent)
    with django_capture_on_commit_callbacks(execute=True):
        portal_invite(contact=contact, actor=agent, channel=Channel.WEB)
    outbox.clear()
    return ticket, defect


def test_a_new_plan_is_mailed_once_with_a_portal_link_and_a_one_click_unsubscribe(
    followed, engineer, release, outbox, django_capture_on_commit_callbacks
):
    ticket, defect = followed
    defect = walk(defect, D.IN_PROGRESS, engineer)
    with django_capture_on_commit_callbacks(execute=True):
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)

    [message] = to_carol(outbox)
    assert message.subject == f"{ticket.number}: A fix is planned for version 2.4.0 (an estimate, not a promise)"
    assert f"https://support.example.test/portal/tickets/{ticket.pk}/" in message.body
    unsubscribe = re.search(r"https://support\.example\.test(/portal/unsubscribe/\S+/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<https://support.example.test{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_internal_events_that_leave_the_plain_status_alone_send_nothing(
    followed, engineer, agent, outbox, django_capture_on_commit_callbacks
):
    ticket, defect = followed
    with django_capture_on_commit_callbacks(execute=True):
        defect = walk(defect, D.IN_PROGRESS, engineer)  # "working on a fix" before and after
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, severity="S1",
                      severity_reason="Blocks month-end closing.")
        comment_add(actor=agent, channel=Channel.WEB, body="Internal note", visibility="internal", ticket=ticket)
        comment_add(actor=engineer, channel=Channel.WEB, body="Found it", visibility="shared", defect=defect)

    assert to_carol(outbox) == []


def test_a_change_several_hooks_report_is_still_one_email(
    followed, engineer, manager, release, outbox, django_capture_on_commit_callbacks
):
    ticket, defect = followed
    defect = walk(defect, D.FIXED, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # The defect moves to released, the ticket back to the help desk: two hooks, one new status.
        release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")

    assert [m.subject for m in to_carol(outbox)] == [f"{ticket.number}: Fixed in 2.4.0: upgrade to get it"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.RESOLVED, actor=manager,
                          channel=Channel.WEB)
    assert len(to_carol(outbox)) == 1  # resolved, but still "Fixed in 2.4.0": nothing new to say


def test_waiting_for_the_customer_is_mailed_and_their_reply_is_not(
    followed, agent, contact, outbox, django_capture_on_commit_callbacks
):
    from portal.selectors import identity_for_session
    from portal.services.tickets import portal_reply
    from tests.portal.conftest import session_key

    ticket, _ = followed
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.AWAITING_CUSTOMER,
                          actor=agent, channel=Channel.WEB)
    assert [m.subject for m in to_carol(outbox)] == [f"{ticket.number}: We are waiting for your reply"]
    with django_capture_on_commit_callbacks(execute=True):
        portal_reply(identity=identity_for_session(session_key(contact)), ticket=ticket, body="Here you are.")
    # Back to the help desk: what the contact did themselves is not mailed back to them...
    assert len(to_carol(outbox)) == 1
    # ...but noted: the next real change is compared with it.
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.AWAITING_CUSTOMER,
                          actor=agent, channel=Channel.WEB)
    assert [m.subject for m in to_carol(outbox)][1:] == [f"{ticket.number}: We are waiting for your reply"]


def test_unsubscribing_takes_one_click_and_stops_the_emails(
    followed, engineer, release, outbox, contact, django_capture_on_commit_callbacks
):
    ticket, defect = followed
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.AWAITING_CUSTOMER,
                          actor=engineer, channel=Channel.WEB)
    path = re.search(r"https://support\.example\.test(/portal/unsubscribe/\S+/)", to_carol(outbox)[0].body).group(1)
    browser = Client(enforce_csrf_checks=True)

    assert "Unsubscribe" in browser.get(path).content.decode()  # a scanner opening the link changes nothing
    assert PortalAccount.objects.get(contact=contact).notify_by_email
    assert browser.post(path).status_code == 200  # what a mail client's one-click sends: no page, no token
    assert not PortalAccount.objects.get(contact=contact).notify_by_email
    assert Client().post(path[:-5] + "xxxx/").status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.OPEN, actor=engineer,
                          channel=Channel.WEB)
    assert len(to_carol(outbox)) == 1


def test_contacts_without_the_portal_get_no_status_email(
    make_ticket, contact, agent, engineer, release, outbox, django_capture_on_commit_callbacks
):
    ticket = make_ticket(contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        defect = walk(escalate(ticket, agent), D.IN_PROGRESS, engineer)
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
        move(defect, D.NEEDS_INFO, engineer, reason="Which browser?")

    assert to_carol(outbox) == []


def test_the_portal_links_in_status_emails_open_the_portal(followed, agent, outbox, contact,
                                                         django_capture_on_commit_callbacks, portal_client):
    ticket, _ = followed
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.AWAITING_CUSTOMER,
                          actor=agent, channel=Channel.WEB)
    path = re.search(r"https://support\.example\.test(/portal/tickets/\d+/)", to_carol(outbox)[0].body).group(1)

    assert path == reverse("portal:ticket", args=[ticket.pk])
    assert "We are waiting for your reply" in portal_client(contact).get(path).content.decode()


@pytest.mark.parametrize("hook", ["tickets.hooks.ticket_status_changed", "enhancements.hooks.request_changed",
                                  "defects.hooks.defect_transitioned", "defects.hooks.defect_edited"])
def test_the_hooks_the_portal_listens_to_have_fitting_receivers(hook):
    from importlib import import_module

    module, name = hook.rsplit(".", 1)
    found = getattr(import_module(module), name)
    assert any(r.__module__ == "portal.services.notify" for r in found.receivers)
    found.check()
