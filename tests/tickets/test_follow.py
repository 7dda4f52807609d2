import pytest
from django.core import mail

from core.audit import audit_history
from core.dates import format_day
from core.models import Notification
from defects.models import Defect
from tests.factories import escalate, link, move, walk
from tickets.models import Ticket
from tickets.services.follow import ticket_status_for

pytestmark = pytest.mark.django_db

S = Defect.Status
T = Ticket.Status


@pytest.fixture
def two_tickets(make_ticket, agent, other_agent, other_customer):
    first = make_ticket()
    second = make_ticket(subject="Export fails too", customer=other_customer, assignee=other_agent)
    defect = escalate(first, agent)
    link(second, defect, other_agent)
    return defect, first, second


def _statuses(*tickets):
    return [Ticket.objects.get(pk=t.pk).status for t in tickets]


def test_needs_info_hands_every_linked_ticket_back_to_its_agent(two_tickets, engineer, agent, other_agent):
    defect, first, second = two_tickets
    move(defect, S.NEEDS_INFO, engineer, reason="Which PDF printer driver?")

    assert _statuses(first, second) == [T.OPEN, T.OPEN]
    for user, ticket in ((agent, first), (other_agent, second)):
        note = Notification.objects.get(user=user, kind=Notification.Kind.NEEDS_INFO)
        assert ticket.number in note.message and "Which PDF printer driver?" in note.message
        assert note.url == f"/tickets/{ticket.pk}/"


@pytest.mark.parametrize("outcome", [S.WONT_FIX, S.CANNOT_REPRODUCE])
def test_a_closing_outcome_returns_the_ticket_with_the_reason(outcome, two_tickets, engineer, agent):
    defect, first, second = two_tickets
    move(defect, outcome, engineer, reason="Works as designed since 2.0")

    assert _statuses(first, second) == [T.OPEN, T.OPEN]
    entry = audit_history(first).get(field="status", new=T.OPEN)
    assert "Works as designed since 2.0" in entry.reason
    note = Notification.objects.get(user=agent, kind=Notification.Kind.DEFECT_STATUS)
    assert "Works as designed since 2.0" in note.message


def test_fixed_keeps_tickets_waiting_until_the_release_ships(two_tickets, engineer, manager, release):
    from django.utils import timezone

    defect, first, second = two_tickets
    walk(defect, S.FIXED, engineer)
    assert _statuses(first, second) == [T.AWAITING_ENGINEERING, T.AWAITING_ENGINEERING]

    release.status, release.released_at = "released", timezone.now()
    release.save()
    Defect.objects.filter(pk=defect.pk).update(fixed_in_release=release)
    move(defect, S.RELEASED, manager, via_release=True)

    assert _statuses(first, second) == [T.OPEN, T.OPEN]
    note = Notification.objects.filter(user=first.assignee).latest("id")
    assert f"fixed in 2.4.0, released {format_day(release.released_at)}" in note.message
    assert "Tell the customer" in note.message


def test_the_agents_answer_puts_tickets_back_to_awaiting_engineering(two_tickets, engineer, agent):
    defect, first, second = two_tickets
    walk(defect, S.IN_PROGRESS, engineer)
    move(defect, S.NEEDS_INFO, engineer, reason="Logs?")
    move(defect, S.IN_PROGRESS, agent)
    assert _statuses(first, second) == [T.AWAITING_ENGINEERING, T.AWAITING_ENGINEERING]


def test_resolved_and_closed_tickets_are_not_reopened_but_their_agent_is_told(two_tickets, engineer, agent):
    defect, first, second = two_tickets
    Ticket.objects.filter(pk=first.pk).update(status=T.CLOSED)
    move(defect, S.WONT_FIX, engineer, reason="Obsolete feature")
    assert _statuses(first, second) == [T.CLOSED, T.OPEN]
    assert Notification.objects.filter(user=agent, kind=Notification.Kind.DEFECT_STATUS).exists()


def test_a_ticket_follows_only_its_current_defect(make_ticket, agent, engineer):
    ticket = make_ticket()
    old = escalate(ticket, agent, title="Old problem")
    move(old, S.WONT_FIX, engineer, reason="Old")
    current = escalate(ticket, agent, title="New problem")
    assert Ticket.objects.get(pk=ticket.pk).status == T.AWAITING_ENGINEERING

    # A late change to the old defect's record does not touch the ticket.
    from tickets.services.follow import tickets_follow_defect

    tickets_follow_defect(defect=Defect.objects.get(pk=old.pk), actor=engineer, channel="web")
    assert Ticket.objects.get(pk=ticket.pk).status == T.AWAITING_ENGINEERING
    assert current.status == S.NEW


def test_the_actor_is_not_notified_of_their_own_change(make_ticket, manager, engineer):
    ticket = make_ticket(assignee=manager)
    defect = escalate(ticket, manager)
    move(defect, S.NEEDS_INFO, manager, reason="Version?")
    assert not Notification.objects.filter(user=manager, kind=Notification.Kind.NEEDS_INFO).exists()


def test_status_notifications_are_emailed_once_the_change_commits(
    two_tickets, engineer, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    defect, first, second = two_tickets
    with django_capture_on_commit_callbacks(execute=True):
        move(defect, S.TRIAGE, engineer)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.assignee.email, second.assignee.email])
    assert all("moved to Triage" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    "defect_status,ticket_status,expected",
    [
        (S.NEW, T.NEW, T.AWAITING_ENGINEERING),
        (S.TRIAGE, T.OPEN, T.AWAITING_ENGINEERING),
        (S.IN_PROGRESS, T.AWAITING_CUSTOMER, T.AWAITING_ENGINEERING),
        (S.IN_VERIFICATION, T.AWAITING_ENGINEERING, T.AWAITING_ENGINEERING),
        (S.FIXED, T.AWAITING_ENGINEERING, T.AWAITING_ENGINEERING),
        (S.NEEDS_INFO, T.AWAITING_ENGINEERING, T.OPEN),
        (S.WONT_FIX, T.AWAITING_ENGINEERING, T.OPEN),
        (S.CANNOT_REPRODUCE, T.AWAITING_CUSTOMER, T.OPEN),
        (S.RELEASED, T.AWAITING_ENGINEERING, T.OPEN),
        (S.DUPLICATE, T.AWAITING_ENGINEERING, None),
        (S.WONT_FIX, T.RESOLVED, None),
        (S.RELEASED, T.CLOSED, None),
    ],
)
def test_the_documented_rules(defect_status, ticket_status, expected):
    assert ticket_status_for(defect_status, ticket_status) == expected
