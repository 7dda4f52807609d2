"""Sync fidelity: descriptions read back into their sections, comments edited in place, markers per installation."""

import pytest

from core.installation import installation
from core.models import Channel
from defects.models import Comment
from defects.services.comments import comment_add, comment_edit
from sync.connectors.base import (
    TrackerComment,
    comment_marker,
    has_marker,
    installation_tag,
    legacy_comment_marker,
)
from sync.models import OutboxItem, SyncLedger
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from sync.services.translate import defect_description, description_sections
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced_defect(connection, ticket, agent, tracker):
    defect = factories.synced_defect(factories.escalate, ticket, agent)
    connection_poll(connection=connection)
    return defect


def test_the_description_a_tracker_gets_reads_back_into_the_same_fields(synced_defect):
    synced_defect.steps_to_reproduce = "1. Open an invoice\n2. Export"
    synced_defect.expected_result = "A PDF"
    synced_defect.actual_result = "A timeout"

    sections = description_sections(defect_description(synced_defect))

    assert sections["description"] == synced_defect.description.strip()
    assert sections["steps_to_reproduce"] == "1. Open an invoice\n2. Export"
    assert (sections["expected_result"], sections["actual_result"]) == ("A PDF", "A timeout")


def test_text_without_section_headings_is_all_summary_and_crlf_is_read_as_newlines():
    assert description_sections("Just a sentence.\r\nAnd another.") == {
        "description": "Just a sentence.\nAnd another.", "steps_to_reproduce": "", "expected_result": "",
        "actual_result": "", "environment": "",
    }


def test_a_description_edited_in_the_tracker_flows_back_into_summary_and_sections(
    synced_defect, connection, tracker
):
    issue = tracker.only_issue()
    tracker.edit(issue.id, description="Export hangs.\n\nSteps to reproduce:\nExport 500 pages\n\n"
                                       "Actual result:\nA 504 after 60 s")

    connection_poll(connection=connection)

    synced_defect.refresh_from_db()
    assert synced_defect.description == "Export hangs."
    assert synced_defect.steps_to_reproduce == "Export 500 pages"
    assert synced_defect.actual_result == "A 504 after 60 s"
    assert synced_defect.expected_result == ""  # the section was removed there
    # Not sent back to the tracker it came from, and applied once.
    assert not OutboxItem.objects.filter(kind="fields").exists()
    connection_poll(connection=connection)
    assert not OutboxItem.objects.filter(kind="fields").exists()


def test_our_own_description_push_coming_back_changes_nothing(synced_defect, connection, tracker, engineer):
    from defects.services.changes import defect_update

    defect_update(defect=synced_defect, actor=engineer, channel=Channel.WEB, expected_result="A PDF in 5 s")
    outbox_drain()
    before = synced_defect.updated_at

    connection_poll(connection=connection)

    synced_defect.refresh_from_db()
    assert synced_defect.expected_result == "A PDF in 5 s" and synced_defect.updated_at >= before
    assert "Expected result:\nA PDF in 5 s" in tracker.only_issue().fields["description"]


def test_markers_name_the_installation_and_old_unnamed_ones_are_still_ours():
    tag = installation().id.hex[:8]

    assert comment_marker(12) == f"[handoff:{tag}:comment:12]" and installation_tag() == tag
    assert has_marker(f"text {comment_marker(12)}") and has_marker(f"text {legacy_comment_marker(12)}")
    assert not has_marker("text [handoff:0badc0de:comment:12]")  # another installation's


def test_a_comment_from_another_installation_on_the_same_issue_is_a_tracker_comment_here(
    synced_defect, connection, tracker
):
    issue = tracker.only_issue()
    issue.comments.append(TrackerComment(id="j-other", body="From staging [handoff:0badc0de:comment:3]",
                                         author="staging"))
    tracker.touch(issue)

    connection_poll(connection=connection)

    assert Comment.objects.filter(defect=synced_defect, body__startswith="From staging").count() == 1


def test_a_tracker_comment_edited_there_is_edited_in_place_when_polled(synced_defect, connection, tracker):
    issue = tracker.only_issue()
    tracker.comment(issue.id, "Pool size is 4.")
    connection_poll(connection=connection)
    issue.comments[-1] = TrackerComment(id=issue.comments[-1].id, body="Pool size is 2.", author="Rita Redminer")
    tracker.touch(issue)

    connection_poll(connection=connection)

    (comment,) = Comment.objects.filter(defect=synced_defect)
    assert comment.body.startswith("Pool size is 2.") and comment.edited_at is not None


def test_a_portal_comment_keeps_its_tracker_id_and_an_edit_of_one_from_the_tracker_is_not_sent_back(
    synced_defect, connection, tracker, engineer
):
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Shared note", visibility="shared",
                          defect=synced_defect)
    outbox_drain()
    assert SyncLedger.objects.get(direction="out", comment_id=comment.pk).comment_id == comment.pk

    tracker.comment(tracker.only_issue().id, "From the tracker")
    connection_poll(connection=connection)
    imported = Comment.objects.get(defect=synced_defect, body__startswith="From the tracker")
    comment_edit(comment=imported, actor=engineer, channel=Channel.WEB, body="Edited here")

    assert not OutboxItem.objects.filter(kind="comment_edit").exists()


def test_the_api_lets_the_author_edit_and_delete_a_comment_and_refuses_others(
    synced_defect, engineer, agent, client
):
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Shared note", visibility="shared",
                          defect=synced_defect)
    url = f"/api/defects/{synced_defect.pk}/comments/{comment.pk}/"

    client.force_login(agent)
    assert client.patch(url, {"body": "Hijacked"}, content_type="application/json").status_code == 403
    client.force_login(engineer)
    edited = client.patch(url, {"body": "Shared note, corrected"}, content_type="application/json")
    assert edited.status_code == 200 and edited.json()["body"] == "Shared note, corrected"
    assert OutboxItem.objects.filter(kind="comment_edit").count() == 1

    deleted = client.delete(url)
    assert deleted.status_code == 200 and deleted.json()["deleted_in"] == "Handoff" and deleted.json()["body"] == ""
    assert OutboxItem.objects.filter(kind="comment_delete").count() == 1
    page = client.get(f"/defects/{synced_defect.pk}/")
    assert "Deleted in Handoff" in page.content.decode()
