"""The sync engine against an in-memory tracker: ordering, retries, pauses, relay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.installation import installation
from core.models import Channel
from sync.config import connection_config
from sync.connectors import connector_for
from sync.connectors.base import ConnectorError, RejectedChange
from sync.models import Connection, ExternalIssue, OutboxItem, SyncLedger
from sync.outbox import outbox_enqueue
from sync.services import push
from sync.services.health import connection_resume, outbox_retry
from sync.services.push import backoff_seconds, outbox_claim_next, outbox_drain, outbox_release_stale
from sync.services.translate import build_change
from tests.factories import escalate
from tests.plans import plan_modes

pytestmark = pytest.mark.django_db

Status = OutboxItem.Status


def test_a_defect_of_a_team_without_a_connection_writes_no_outbox_rows(ticket, agent, tracker):
    escalate(ticket, agent)
    assert not OutboxItem.objects.exists()


def test_escalating_for_a_connected_team_creates_the_twin_with_the_portal_key(connection, ticket, agent, tracker):
    defect = escalate(ticket, agent)
    assert list(OutboxItem.objects.values_list("kind", "status")) == [("create", "pending")]

    outbox_drain()

    issue = tracker.only_issue()
    assert issue.portal_key == defect.key
    assert issue.fields["status"] == "Open" and issue.fields["priority"] == "P2"
    twin = ExternalIssue.objects.get(defect=defect)
    assert (twin.key, twin.url) == (f"FAKE-{issue.id}", f"https://tracker.example/{issue.id}")
    assert OutboxItem.objects.get().status == Status.DONE


def test_changes_of_one_defect_reach_the_tracker_in_the_order_they_were_made(connection, ticket, agent, tracker):
    defect = escalate(ticket, agent)
    for status in ("triage", "in_progress", "in_verification"):
        outbox_enqueue(defect=defect, kind="status", payload={"status": status})
    outbox_enqueue(defect=defect, kind="comment", payload={"comment_id": 1, "body": "Found it", "author": "Erin"})

    outbox_drain()

    assert [(c.kind, dict(c.fields).get("status")) for c in tracker.pushes] == [
        ("create", "Open"), ("status", "Open"), ("status", "Doing"), ("status", "Review"), ("comment", None),
    ]
    assert tracker.only_issue().fields["status"] == "Review"


def test_a_later_change_waits_while_an_earlier_one_of_its_defect_backs_off(connection, make_ticket, agent, tracker):
    first = escalate(make_ticket(), agent)
    outbox_enqueue(defect=first, kind="status", payload={"status": "triage"})
    tracker.fail_next(ConnectorError("Tracker answered 503", retry_after=120))

    outbox_drain()

    create, status = OutboxItem.objects.filter(defect=first).order_by("id")
    assert create.status == Status.PENDING and create.attempts == 1
    assert create.next_attempt_at >= timezone.now() + timedelta(seconds=119)
    assert "503" in create.last_error
    assert status.status == Status.PENDING and status.attempts == 0
    assert tracker.pushes == []

    OutboxItem.objects.filter(pk=create.pk).update(next_attempt_at=timezone.now())
    outbox_drain()
    assert [c.kind for c in tracker.pushes] == ["create", "status"]


def test_other_defects_go_on_while_one_backs_off(connection, make_ticket, agent, tracker):
    escalate(make_ticket(), agent)
    second = escalate(make_ticket(subject="Second"), agent, title="Second problem")
    tracker.fail_next(ConnectorError("timeout"))

    outbox_drain()

    assert [c.defect_key for c in tracker.pushes] == [second.key]


def test_backoff_doubles_per_attempt_up_to_a_cap_and_never_undercuts_retry_after(settings):
    settings.HANDOFF_SYNC_BACKOFF_SECONDS = 10
    settings.HANDOFF_SYNC_BACKOFF_MAX = 300
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [10, 20, 40, 80, 300]
    assert backoff_seconds(1, retry_after=90) == 90
    assert backoff_seconds(4, retry_after=5) == 80


def test_a_401_pauses_the_connection_keeps_the_row_and_resuming_sends_it(connection, ticket, agent, tracker, manager):
    escalate(ticket, agent)
    tracker.fail_next(ConnectorError("Tracker answered 401 (the API key is wrong)", permanent=True))

    outbox_drain()

    connection.refresh_from_db()
    assert connection.paused and "401" in connection.last_error
    row = OutboxItem.objects.get()
    assert row.status == Status.PENDING and row.attempts == 0
    assert outbox_drain() == 0  # nothing is claimed while paused

    connection_resume(connection=connection, actor=manager, channel=Channel.WEB)
    outbox_drain()
    row.refresh_from_db()
    assert row.status == Status.DONE and len(tracker.issues) == 1


def test_a_refused_change_fails_its_row_and_the_retry_button_sends_it_again(
    connection, ticket, agent, tracker, manager
):
    defect = escalate(ticket, agent)
    outbox_drain()
    outbox_enqueue(defect=defect, kind="status", payload={"status": "triage"})
    tracker.fail_next(RejectedChange("Tracker refused the change: Status is invalid"))

    outbox_drain()

    row = OutboxItem.objects.get(kind="status")
    assert row.status == Status.FAILED and "Status is invalid" in row.last_error
    connection.refresh_from_db()
    assert not connection.paused

    outbox_retry(item=row, actor=manager, channel=Channel.WEB)
    outbox_drain()
    row.refresh_from_db()
    assert row.status == Status.DONE


def test_a_row_claimed_by_a_worker_that_died_is_pushed_again_once(connection, ticket, agent, tracker, settings):
    settings.HANDOFF_SYNC_CLAIM_TIMEOUT = 60
    defect = escalate(ticket, agent)
    outbox_drain()
    outbox_enqueue(defect=defect, kind="comment", payload={"comment_id": 9, "body": "Any news?", "author": "Alice"})
    row = outbox_claim_next()
    # The dying worker got the comment into the tracker but never recorded it.
    config = connection_config(connection)
    connector_for(connection).push(build_change(row, ExternalIssue.objects.get(), config))
    assert outbox_claim_next() is None  # still claimed: nobody else takes it

    assert outbox_release_stale() == 0  # not stale yet
    OutboxItem.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))
    assert outbox_release_stale() == 1
    outbox_drain()

    row.refresh_from_db()
    assert row.status == Status.DONE
    assert [c.body.count("Any news?") for c in tracker.only_issue().comments] == [1]


def test_a_create_repeated_after_a_crash_finds_the_issue_instead_of_making_another(connection, ticket, agent, tracker):
    defect = escalate(ticket, agent)
    outbox_drain()
    ExternalIssue.objects.filter(defect=defect).delete()  # the bookkeeping was lost
    OutboxItem.objects.update(status=Status.PENDING)

    outbox_drain()

    assert len(tracker.issues) == 1
    assert ExternalIssue.objects.get(defect=defect).external_id == str(tracker.only_issue().id)


def test_two_claims_never_return_the_same_row(connection, make_ticket, agent, tracker):
    escalate(make_ticket(), agent)
    escalate(make_ticket(subject="Second"), agent, title="Second problem")
    first, second = outbox_claim_next(), outbox_claim_next()
    assert first.pk != second.pk
    assert outbox_claim_next() is None


@pytest.mark.parametrize("windows", [(64, 1024), (2,)], ids=["in the second window", "beyond every window"])
def test_a_claim_finds_another_defect_s_row_behind_a_long_queue_held_up_by_a_push_in_flight(
    connection, make_ticket, agent, tracker, monkeypatch, windows,
):
    from sync.services import push

    monkeypatch.setattr(push, "CLAIM_WINDOWS", windows)
    busy = escalate(make_ticket(), agent)
    outbox_drain()
    for n in range(70):
        outbox_enqueue(defect=busy, kind="comment", payload={"comment_id": n + 1, "body": f"C{n}", "author": "A"})
    other = escalate(make_ticket(subject="Second"), agent, title="Second problem")
    held = outbox_claim_next()  # the busy defect's first comment, now in flight

    claimed = outbox_claim_next()

    assert held.defect_id == busy.pk
    assert claimed.defect_id == other.pk and claimed.kind == "create"
    assert outbox_claim_next() is None  # the rest wait behind the push in flight
    assert not push.has_due_rows(connection.pk)


def test_a_comment_push_writes_the_row_and_its_ledger_entry_and_no_more(
    connection, ticket, agent, tracker, django_assert_num_queries,
):
    defect = escalate(ticket, agent)
    outbox_drain()
    outbox_enqueue(defect=defect, kind="comment", payload={"comment_id": 9, "body": "Any news?", "author": "Alice"})
    item = outbox_claim_next()
    installation()  # made once per installation, long before

    # The twin's read; the installation's (kept in memory by a worker, read each time inside a
    # test's transaction); the ledger's get-or-create (read, savepoint, insert, release); the
    # row marked done; the savepoint of their transaction and its release. The twin's field
    # snapshot is not rewritten (a comment sets no field), nor the connection's "last
    # success", noted a moment ago.
    with django_assert_num_queries(9):
        push.outbox_push(item=item)

    assert OutboxItem.objects.get(pk=item.pk).status == Status.DONE
    assert SyncLedger.objects.filter(comment_id=9, direction="out").exists()


def test_a_success_is_noted_at_once_after_a_failure_and_otherwise_every_few_seconds(connection):
    from sync.services.health import connection_failed, connection_succeeded

    connection_succeeded(connection=connection)
    first = Connection.objects.get(pk=connection.pk).last_success_at
    connection_succeeded(connection=connection)
    assert Connection.objects.get(pk=connection.pk).last_success_at == first  # not written again

    connection_failed(connection=connection, error="Tracker answered 502")
    connection_succeeded(connection=connection)
    fresh = Connection.objects.get(pk=connection.pk)
    assert fresh.last_success_at > fresh.last_error_at


def test_on_postgresql_a_claim_is_planned_for_its_values_not_from_a_kept_plan(connection, ticket, agent, tracker):
    from django.db import connection as db

    if db.vendor != "postgresql":
        pytest.skip("plans kept for prepared statements are PostgreSQL's")
    escalate(ticket, agent)

    with plan_modes(lambda sql: "sync_outboxitem" in sql and sql.lstrip().startswith("SELECT")) as seen:
        assert outbox_claim_next() is not None
        push.has_due_rows(connection.pk)

    assert seen and set(seen) == {"force_custom_plan"}


def test_errors_never_show_the_token(connection, ticket, agent, tracker):
    escalate(ticket, agent)
    tracker.fail_next(ConnectorError(f"Tracker said no to key {connection.token}"))
    outbox_drain()
    connection.refresh_from_db()
    assert connection.token not in connection.last_error
    assert connection.token not in OutboxItem.objects.get().last_error


def test_a_row_queued_behind_one_that_backs_off_is_not_due(connection, ticket, agent, tracker):
    from sync.services.push import has_due_rows

    defect = escalate(ticket, agent)
    outbox_enqueue(defect=defect, kind="status", payload={"status": "triage"})
    tracker.fail_next(ConnectorError("Tracker answered 502"))
    outbox_drain()

    # The status row is pending and due by itself, but must wait for the create:
    # a drain that re-queued itself for it would spin.
    assert not has_due_rows(connection.pk)


def test_a_drain_out_of_time_stops_between_rows(connection, make_ticket, agent, tracker):
    for n in range(3):
        escalate(make_ticket(subject=f"T{n}"), agent, title=f"Problem {n}")
    assert outbox_drain(budget_seconds=0) == 0
    assert outbox_drain(budget_seconds=60) == 3
