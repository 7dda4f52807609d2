"""Comments edited in a tracker that does not mark the issue updated (Redmine's notes): polls read
the twins again in turn, so the edit arrives though "updated since" never lists the issue."""

import pytest

from defects.models import Comment
from sync.connectors.base import TrackerComment
from sync.services import pull
from sync.services.pull import connection_poll
from tests import factories
from tests.sync import fake

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve_twins(connection, make_ticket, agent, tracker):
    defects = [factories.synced_defect(factories.escalate, make_ticket(subject=f"Crash {n}"), agent) for n in range(12)]
    connection_poll(connection=connection)
    return defects


def _comment_then_edit_silently(tracker, issue_id: int, connection) -> None:
    """A note written (the poll brings it), then edited as Redmine edits one: the issue's time stays."""
    tracker.comment(issue_id, "Crashes on 2.3", author="Rita")
    tracker.edit(max(tracker.issues), status="Open")  # another issue is the newest: the cursor moves past
    connection_poll(connection=connection)
    issue = tracker.issues[issue_id]
    (note,) = issue.comments
    issue.comments[0] = TrackerComment(id=note.id, body="Crashes on 2.3.1 only", author=note.author)


def _body(defect) -> str:
    return Comment.objects.get(defect=defect).body


def test_a_silent_edit_arrives_when_the_sweep_reaches_its_twin_in_turn(
    twelve_twins, connection, tracker, monkeypatch
):
    monkeypatch.setattr(fake.FakeConnector, "edits_comments_silently", True)
    last_issue = max(tracker.issues)  # the twelfth twin: the first sweep (ten twins) does not reach it
    last_defect = twelve_twins[-1]
    tracker.edit(1, status="Doing")  # the twelfth is no longer the newest issue either
    _comment_then_edit_silently(tracker, last_issue, connection)
    assert _body(last_defect).startswith("Crashes on 2.3\n")

    connection_poll(connection=connection)
    connection_poll(connection=connection)

    assert _body(last_defect).startswith("Crashes on 2.3.1 only")


def test_without_the_sweep_the_poll_never_sees_a_silent_edit(twelve_twins, connection, tracker):
    first_issue = min(tracker.issues)
    _comment_then_edit_silently(tracker, first_issue, connection)
    for _ in range(3):
        connection_poll(connection=connection)
    assert _body(twelve_twins[0]).startswith("Crashes on 2.3\n")


def test_the_sweep_reads_ten_twins_a_poll_in_turn_and_goes_round_again(connection, twelve_twins, tracker):
    reads = []
    connector = fake.FakeConnector(base_url="https://tracker.example", token="t", project="BILL", config=None)
    fetch = connector.fetch
    connector.fetch = lambda twin: reads.append(int(twin.external_id)) or fetch(twin)
    for _ in range(3):
        pull.notes_sweep(connection=connection, connector=connector)
    ids = sorted(tracker.issues)
    assert reads == ids[:10] + ids[10:] + ids[:8] + ids[8:] + ids[:6]


def test_a_twin_the_tracker_lost_is_passed_over_and_a_failing_tracker_ends_the_sweep(
    connection, twelve_twins, tracker
):
    from sync.connectors.base import ConnectorError

    connector = fake.FakeConnector(base_url="https://tracker.example", token="t", project="BILL", config=None)
    tracker.fail_next(ConnectorError("Issue not found.", permanent=True))
    assert pull.notes_sweep(connection=connection, connector=connector) == 9
    tracker.fail_next(ConnectorError("Tracker unavailable.", permanent=False))
    assert pull.notes_sweep(connection=connection, connector=connector) == 0
    # Resumed where it stood: the eleventh and twelfth twins, then round again to the first eight.
    assert pull.notes_sweep(connection=connection, connector=connector) == 10
