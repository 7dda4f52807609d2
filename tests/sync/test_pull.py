"""Tracker changes reaching the portal: applied once, never echoed, conflicts settled by rule."""

import pytest

from core.audit import audit_history
from core.models import Channel
from defects.models import Comment, Defect
from sync.models import OutboxItem, SyncConflict
from sync.outbox import outbox_enqueue
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced_defect(connection, ticket, agent, tracker):
    defect = factories.synced_defect(factories.escalate, ticket, agent)
    connection_poll(connection=connection)  # our own create coming back changes nothing
    return defect


def tracker_audit(defect, connection):
    return [a for a in audit_history(defect) if a.channel == Channel.tracker(connection.name)]


def test_our_own_push_coming_back_in_a_poll_is_not_applied(synced_defect, connection, tracker):
    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "triage"})
    outbox_drain()
    connection_poll(connection=connection)
    connection_poll(connection=connection)

    assert tracker_audit(synced_defect, connection) == []
    assert not SyncConflict.objects.exists()


def test_a_status_change_in_the_tracker_moves_the_defect_audited_as_the_tracker(synced_defect, connection, tracker):
    tracker.edit(tracker.only_issue().id, status="Doing")

    connection_poll(connection=connection)

    synced_defect.refresh_from_db()
    assert synced_defect.status == Defect.Status.IN_PROGRESS  # new -> triage -> in_progress, each audited
    moves = [(a.old, a.new) for a in tracker_audit(synced_defect, connection) if a.field == "status"]
    assert moves == [("triage", "in_progress"), ("new", "triage")]
    # Applied from the tracker: nothing goes back to it.
    assert not OutboxItem.objects.filter(kind="status").exists()


def test_a_tracker_comment_reaches_the_defect_once(synced_defect, connection, tracker):
    tracker.comment(tracker.only_issue().id, "Reproduced on 2.3.1", author="Rita")

    connection_poll(connection=connection)
    connection_poll(connection=connection)
    connection.poll_cursor = ""
    connection_poll(connection=connection)

    comments = Comment.objects.filter(defect=synced_defect)
    assert [c.body for c in comments] == ["Reproduced on 2.3.1\n\n-- Rita, in fake-tracker"]
    assert comments[0].visibility == Comment.Visibility.SHARED


def test_status_changed_on_both_sides_the_tracker_wins_and_the_conflict_is_recorded(synced_defect, connection, tracker):
    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "triage"})  # not pushed yet
    tracker.edit(tracker.only_issue().id, status="Waiting")

    connection_poll(connection=connection)
    outbox_drain()

    conflict = SyncConflict.objects.get()
    assert (conflict.field, conflict.winner, conflict.tracker_value) == ("status", "tracker", "Waiting")
    assert OutboxItem.objects.get(kind="status").note.startswith("Superseded")
    assert tracker.only_issue().fields["status"] == "Waiting"


def test_severity_changed_on_both_sides_the_portal_wins(synced_defect, connection, tracker):
    outbox_enqueue(defect=synced_defect, kind="severity", payload={"severity": "S1"})
    tracker.edit(tracker.only_issue().id, priority="P4")

    connection_poll(connection=connection)
    outbox_drain()

    synced_defect.refresh_from_db()
    assert synced_defect.severity == "S2"
    assert tracker.only_issue().fields["priority"] == "P1"
    conflict = SyncConflict.objects.get()
    assert (conflict.field, conflict.winner) == ("priority", "portal")


def test_a_tracker_change_made_just_before_a_portal_push_still_wins_for_status(synced_defect, connection, tracker):
    tracker.edit(tracker.only_issue().id, status="Waiting")  # not polled yet
    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "triage"})

    outbox_drain()

    assert tracker.only_issue().fields["status"] == "Waiting"
    assert SyncConflict.objects.get().winner == "tracker"


def test_a_tracker_status_the_portal_cannot_take_is_recorded_not_dropped(synced_defect, connection, tracker):
    tracker.edit(tracker.only_issue().id, status="Shipped")

    connection_poll(connection=connection)

    synced_defect.refresh_from_db()
    assert synced_defect.status == Defect.Status.NEW
    conflict = SyncConflict.objects.get()
    assert conflict.winner == "portal" and "cannot be set from a tracker" in conflict.note


def test_when_the_tracker_wins_a_push_the_later_waiting_changes_of_that_field_go_too(
    synced_defect, connection, tracker,
):
    """Two portal moves wait (the tracker was down); the tracker moved meanwhile and wins over the
    first. The second was made before the tracker's value replaced it in the portal: sent, it would
    leave the tracker with a status the portal no longer holds."""
    tracker.edit(tracker.only_issue().id, status="Waiting")  # not polled yet
    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "triage"})
    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "in_progress"})

    outbox_drain()

    synced_defect.refresh_from_db()
    assert tracker.only_issue().fields["status"] == "Waiting"
    assert synced_defect.status == Defect.Status.NEEDS_INFO
    assert [row.note for row in OutboxItem.objects.filter(kind="status").order_by("pk")] == [
        "Superseded: the tracker's change won.", "Superseded: the tracker's change won.",
    ]


def test_a_change_made_after_the_tracker_won_is_sent(synced_defect, connection, tracker):
    tracker.edit(tracker.only_issue().id, status="Waiting")
    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "triage"})
    outbox_drain()  # the tracker's Waiting wins and is applied

    outbox_enqueue(defect=synced_defect, kind="status", payload={"status": "in_progress"})
    outbox_drain()

    assert tracker.only_issue().fields["status"] == "Doing"
    assert OutboxItem.objects.filter(kind="status").order_by("pk").last().note == ""
