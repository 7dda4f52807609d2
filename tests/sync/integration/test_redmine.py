"""The sync engine against a real Redmine, with a real Celery worker where it matters."""

import time

import pytest

from core.models import AuditEntry, Channel
from defects.models import Comment, Defect, TicketDefectLink
from defects.services.changes import defect_update
from defects.services.comments import comment_add, ticket_thread
from defects.services.transitions import defect_transition
from releases.models import Release
from sync.models import Connection, ExternalIssue, OutboxItem
from sync.services.push import outbox_drain
from tests.factories import escalate
from tests.sync.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def twin_of(defect):
    return ExternalIssue.objects.filter(defect=defect).first()


def test_escalating_creates_the_redmine_issue_with_the_twin_link_once(
    redmine, redmine_connection, ticket, agent, engineer, monkeypatch
):
    # No worker here: the push and its retry run in-process.
    from handoff.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    defect = escalate(ticket, agent)
    outbox_drain()

    twin = twin_of(defect)
    issue = redmine.issue(twin.external_id)
    assert twin.url == f"{redmine.url}/issues/{issue['id']}" and twin.key == f"#{issue['id']}"
    assert issue["subject"] == defect.title
    assert issue["priority"]["name"] == "Urgent"  # S2
    assert {f["name"]: f["value"] for f in issue["custom_fields"]}["External Ticket ID"] == defect.key
    assert f"Handoff defect: {defect.key} http" in issue["description"]

    # A create tried again (its bookkeeping lost) finds the issue instead of making another.
    ExternalIssue.objects.filter(defect=defect).delete()
    OutboxItem.objects.update(status=OutboxItem.Status.PENDING)
    outbox_drain()
    assert twin_of(defect).external_id == str(issue["id"])
    listed = redmine.call("GET", "/issues.json", params={"project_id": redmine_connection.project, "status_id": "*"})
    assert listed.json()["total_count"] == 1

    # A release planned in the portal becomes the target version, even one made in Redmine just now.
    redmine.call("POST", f"/projects/{redmine_connection.project}/versions.json", json={"version": {"name": "2.6.0"}})
    release = Release.objects.create(product=defect.product, version="2.6.0")
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    outbox_drain()
    assert redmine.issue(issue["id"])["fixed_version"]["name"] == "2.6.0"


def test_changes_flow_both_ways_through_a_real_worker(
    redmine, redmine_connection, celery_worker, ticket, agent, engineer
):
    defect = escalate(ticket, agent)
    twin = wait_for(lambda: twin_of(defect), timeout=30, what="the Redmine issue")

    # Redmine -> portal: an engineer moves the issue and writes a note; beat polls.
    redmine.call("PUT", f"/issues/{twin.external_id}.json", json={"issue": {
        "status_id": redmine.status_id("In Progress"), "notes": "Reproduced on 2.3.1, looking into it.",
    }})
    wait_for(
        lambda: Defect.objects.get(pk=defect.pk).status == Defect.Status.IN_PROGRESS
        and Comment.objects.filter(defect=defect).exists(),
        timeout=40, what="the poll to bring the status and the note",
    )
    note = Comment.objects.get(defect=defect)
    assert note.body.startswith("Reproduced on 2.3.1") and note.visibility == Comment.Visibility.SHARED
    # The ticket shows both: the engineering status through its link, the note in its thread.
    link = TicketDefectLink.objects.select_related("defect").get(ticket=ticket)
    assert link.defect.status == Defect.Status.IN_PROGRESS
    assert note in list(ticket_thread(ticket, agent))
    assert AuditEntry.objects.filter(channel=Channel.tracker("Redmine"), field="status", new="in_progress").exists()

    # Portal -> Redmine: a shared comment appears once; an internal one never.
    comment_add(actor=engineer, channel=Channel.WEB, body="Fix is in review.", visibility="shared", defect=defect)
    comment_add(actor=engineer, channel=Channel.WEB, body="Blame the PDF lib.", visibility="internal", defect=defect)
    wait_for(lambda: any("Fix is in review." in n for n in redmine.notes(twin.external_id)),
             timeout=30, what="the shared comment in Redmine")
    time.sleep(6)  # at least one more poll: nothing echoes back, nothing is posted twice
    notes = redmine.notes(twin.external_id)
    assert sum("Fix is in review." in n for n in notes) == 1
    assert not any("Blame the PDF lib." in n for n in notes)
    assert Comment.objects.filter(defect=defect).count() == 3  # note from Redmine + our two
    assert not OutboxItem.objects.filter(kind="status").exists()  # the tracker's move was not sent back


def test_fifty_changes_made_while_redmine_is_down_arrive_in_order_after_it_restarts(
    private_redmine, redmine_connection, celery_worker, ticket, agent, engineer
):
    redmine = private_redmine
    Connection.objects.filter(pk=redmine_connection.pk).update(base_url=redmine.url)
    defect = escalate(ticket, agent)
    twin = wait_for(lambda: twin_of(defect), timeout=30, what="the Redmine issue")
    redmine.stop()
    try:
        for n in range(1, 51):
            if n == 10:
                defect_transition(defect=defect, to="triage", actor=engineer, channel=Channel.WEB)
            elif n == 20:
                defect_transition(defect=defect, to="in_progress", actor=engineer, channel=Channel.WEB)
            else:
                comment_add(actor=engineer, channel=Channel.WEB, body=f"Change {n:02d}", visibility="shared",
                            defect=defect)
        wait_for(lambda: OutboxItem.objects.filter(defect=defect).exclude(last_error="").exists(),
                 timeout=20, what="a failed push while Redmine is down")
        assert OutboxItem.objects.filter(defect=defect, status="done").count() == 1  # only the create
    finally:
        redmine.start()
    wait_for(lambda: not OutboxItem.objects.filter(defect=defect).exclude(status="done").exists(),
             timeout=120, what="the 50 changes to arrive")

    notes = [n for n in redmine.notes(twin.external_id) if n.startswith("Change ")]
    expected = [f"Change {n:02d}" for n in range(1, 51) if n not in (10, 20)]
    assert [n.split("\n")[0] for n in notes] == expected
    assert redmine.issue(twin.external_id)["status"]["name"] == "In Progress"
    assert OutboxItem.objects.filter(defect=defect, status="failed").count() == 0


def test_a_worker_killed_in_the_middle_of_pushing_loses_and_duplicates_nothing(
    redmine, redmine_connection, celery_worker, ticket, agent, engineer
):
    defect = escalate(ticket, agent)
    twin = wait_for(lambda: twin_of(defect), timeout=30, what="the Redmine issue")
    for n in range(1, 41):
        comment_add(actor=engineer, channel=Channel.WEB, body=f"Change {n:02d}", visibility="shared", defect=defect)
    wait_for(lambda: OutboxItem.objects.filter(defect=defect, kind="comment", status="done").count() >= 3,
             timeout=30, what="the first pushes")
    celery_worker.kill()  # SIGKILL to the whole worker: no goodbye, no ack
    done_at_kill = OutboxItem.objects.filter(defect=defect, kind="comment", status="done").count()
    assert done_at_kill < 40, "the kill came too late to land mid-push"

    celery_worker.start()
    wait_for(lambda: not OutboxItem.objects.filter(defect=defect).exclude(status="done").exists(),
             timeout=90, what="the rest of the changes after the restart")

    notes = [n.split("\n")[0] for n in redmine.notes(twin.external_id) if n.startswith("Change ")]
    assert notes == [f"Change {n:02d}" for n in range(1, 41)]


def test_a_note_edited_in_redmine_reaches_the_thread_though_redmine_leaves_its_issue_as_it_was(
    redmine, redmine_connection, ticket, make_ticket, agent
):
    from sync.services.pull import connection_poll

    defect = escalate(ticket, agent)
    outbox_drain()
    twin = twin_of(defect)
    redmine.call("PUT", f"/issues/{twin.external_id}.json", json={"issue": {"notes": "Crashes on 2.3"}})
    connection_poll(connection=redmine_connection)
    assert Comment.objects.get(defect=defect).body.startswith("Crashes on 2.3\n")

    # A newer issue: the poll's cursor ("updated since") moves past the first one.
    time.sleep(1.1)
    escalate(make_ticket(subject="Another crash"), agent)
    outbox_drain()
    connection_poll(connection=redmine_connection)

    journal = next(j for j in redmine.issue(twin.external_id)["journals"] if j.get("notes"))
    updated = redmine.issue(twin.external_id)["updated_on"]
    redmine.call("PUT", f"/journals/{journal['id']}.json", json={"journal": {"notes": "Crashes on 2.3.1 only"}})
    assert redmine.issue(twin.external_id)["updated_on"] == updated  # Redmine does not mark the issue updated

    connection_poll(connection=redmine_connection)

    assert Comment.objects.get(defect=defect).body.startswith("Crashes on 2.3.1 only")
