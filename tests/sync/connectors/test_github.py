"""The GitHub connector (PyGithub) over real HTTP against a local GitHub Enterprise-style API."""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import Channel
from defects.attachments import check_upload
from defects.models import Comment
from defects.services.changes import defect_update
from defects.services.comments import comment_add, comment_delete, comment_edit
from defects.services.transitions import defect_transition
from sync.connectors.base import attachment_marker, comment_marker, defect_marker
from sync.models import Connection, ExternalIssue, InboundEvent, OutboxItem, SyncConflict
from sync.outbox import outbox_enqueue
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests.factories import hmac_signature, synced_defect
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

Status = OutboxItem.Status


def test_escalating_creates_the_issue_with_severity_and_status_labels_and_the_portal_link_in_a_footer(
    github, github_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)

    issue = github.only_issue()
    assert issue["title"] == "PDF export times out"
    assert set(issue["labels"]) == {"severity: S2", "status: new"}
    assert issue["state"] == "open"
    footer = issue["body"].rsplit("\n---\n", 1)[1]
    assert footer.startswith(f"Handoff defect: {defect.key} http")
    assert footer.endswith(f"/defects/{defect.pk}/ {defect_marker(defect.key)}")
    twin = ExternalIssue.objects.get(defect=defect)
    assert (twin.external_id, twin.key, twin.url) == ("1", "acme/billing#1", f"{github.web}/issues/1")
    assert github.requests_to("POST", "/issues")[0].header("Authorization") == "token ghp-test-token"


def test_a_repeated_create_finds_the_issue_by_its_footer(github, github_connection, escalate, ticket):
    defect = synced_defect(escalate, ticket)
    # As if the worker died after GitHub answered, before the twin was recorded.
    ExternalIssue.objects.filter(defect=defect).delete()
    OutboxItem.objects.filter(kind="create").update(status=Status.PENDING)

    outbox_drain()

    assert len(github.issues) == 1
    assert ExternalIssue.objects.get(defect=defect).external_id == "1"


def test_closing_statuses_close_the_issue_with_their_state_reason_and_reopening_opens_it(
    github, github_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)

    outbox_enqueue(defect=defect, kind="status", payload={"status": "wont_fix"})
    outbox_drain()
    issue = github.only_issue()
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert "status: won't fix" in issue["labels"] and "severity: S2" in issue["labels"]

    outbox_enqueue(defect=defect, kind="status", payload={"status": "in_progress"})
    outbox_drain()
    assert (issue["state"], issue["state_reason"]) == ("open", "reopened")
    assert [n for n in issue["labels"] if n.startswith("status: ")] == ["status: in progress"]


def test_the_planned_release_becomes_the_milestone_made_when_missing(
    github, github_connection, escalate, ticket, release
):
    defect = synced_defect(escalate, ticket)

    defect_update(defect=defect, actor=None, channel=Channel.WEB, planned_release=release)
    outbox_drain()

    (milestone,) = github.milestones.values()
    assert milestone["title"] == "2.4.0"
    assert github.only_issue()["milestone"] == milestone["number"]


def test_a_shared_comment_reaches_github_once_even_when_pushed_twice(
    github, github_connection, escalate, ticket, engineer
):
    defect = synced_defect(escalate, ticket)
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Reproduced on 2.3.1.", visibility="shared",
                          defect=defect)
    outbox_drain()
    OutboxItem.objects.filter(kind="comment").update(status=Status.PENDING)

    outbox_drain()

    (posted,) = github.comments[1]
    assert posted["body"].startswith("Reproduced on 2.3.1.") and comment_marker(comment.pk) in posted["body"]


def test_an_attachment_becomes_one_comment_naming_the_file_and_linking_the_defect(
    github, github_connection, escalate, ticket
):
    log = SimpleUploadedFile("export.log", b"ERROR pdf render timeout\n", content_type="text/plain")
    defect = escalate(ticket, attachments=[check_upload(log)])
    outbox_drain()
    OutboxItem.objects.filter(kind="attachment").update(status=Status.PENDING)

    outbox_drain()

    (posted,) = github.comments[1]
    attachment = defect.attachments.get()
    assert "export.log" in posted["body"] and f"/defects/{defect.pk}/" in posted["body"]
    assert attachment_marker(attachment.pk) in posted["body"]


def test_a_comment_made_on_github_reaches_the_defect_by_webhook(
    github, github_connection, escalate, ticket, deliver
):
    defect = synced_defect(escalate, ticket)
    comment = github.comment_as(1, "The renderer pool is too small.")
    body, headers = github.webhook("issue_comment", 1, action="created", comment=comment, secret=WEBHOOK_SECRET)

    response = deliver(github_connection, body, headers)

    assert response.status_code == 202
    (shared,) = Comment.objects.filter(defect=defect)
    assert shared.body.startswith("The renderer pool is too small.") and "gina-github" in shared.body


def test_closing_the_issue_on_github_as_completed_marks_the_defect_fixed(
    github, github_connection, escalate, ticket, deliver, engineer, release
):
    defect = synced_defect(escalate, ticket)
    for status in ("triage", "in_progress", "in_verification"):
        defect_transition(defect=defect, to=status, actor=engineer, channel=Channel.WEB)
    # Fixed needs the release it is fixed in: the one planned.
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    outbox_drain()
    github.set(1, state="closed", state_reason="completed")
    body, headers = github.webhook("issues", 1, action="closed", secret=WEBHOOK_SECRET)

    deliver(github_connection, body, headers)

    defect.refresh_from_db()
    assert defect.status == "fixed"


def test_closing_the_issue_on_github_with_no_release_is_refused_and_shown_as_a_conflict(
    github, github_connection, escalate, ticket, deliver, engineer
):
    defect = synced_defect(escalate, ticket)
    for status in ("triage", "in_progress", "in_verification"):
        defect_transition(defect=defect, to=status, actor=engineer, channel=Channel.WEB)
    outbox_drain()
    github.set(1, state="closed", state_reason="completed")
    body, headers = github.webhook("issues", 1, action="closed", secret=WEBHOOK_SECRET)

    deliver(github_connection, body, headers)

    defect.refresh_from_db()
    assert defect.status == "in_verification"
    conflict = SyncConflict.objects.get(defect=defect, field="status")
    assert conflict.winner == SyncConflict.Winner.PORTAL
    assert f"Say in which release {defect.key} is fixed" in conflict.note


def test_a_replayed_delivery_is_applied_once(github, github_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    comment = github.comment_as(1, "Fixed in main.")
    body, headers = github.webhook("issue_comment", 1, action="created", comment=comment, secret=WEBHOOK_SECRET)

    first, again = deliver(github_connection, body, headers), deliver(github_connection, body, headers)

    assert (first.status_code, again.status_code) == (202, 200)
    assert Comment.objects.filter(defect=defect).count() == 1
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize("signature", ["sha256=" + "f" * 64, None], ids=["bad", "missing"])
def test_a_delivery_with_a_bad_or_missing_signature_is_refused_and_nothing_is_written(
    github, github_connection, escalate, ticket, deliver, signature
):
    defect = synced_defect(escalate, ticket)
    comment = github.comment_as(1, "Sneaky.")
    body, headers = github.webhook("issue_comment", 1, action="created", comment=comment, secret=WEBHOOK_SECRET)
    if signature is None:
        del headers["X-Hub-Signature-256"]
    else:
        headers["X-Hub-Signature-256"] = signature

    response = deliver(github_connection, body, headers)

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()
    assert not Comment.objects.filter(defect=defect).exists()


def test_a_signed_delivery_that_cannot_be_read_is_kept_with_its_error_and_answered_400(github_connection, deliver):
    body = b'{"action": "opened", "issue": '
    signature = hmac_signature(WEBHOOK_SECRET, body)

    response = deliver(github_connection, body, {"X-Hub-Signature-256": signature, "X-GitHub-Event": "issues",
                                                 "X-GitHub-Delivery": "d-1"})

    assert response.status_code == 400
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED and "Unreadable GitHub delivery" in event.error


def test_missed_events_are_recovered_by_polling_since_the_cursor(github, github_connection, escalate, ticket):
    defect = synced_defect(escalate, ticket)
    connection_poll(connection=github_connection)
    cursor = Connection.objects.get(pk=github_connection.pk).poll_cursor
    github.comment_as(1, "Seen while the webhook was down.")
    github.set(1, labels=["severity: S2", "status: in progress"])

    connection_poll(connection=Connection.objects.get(pk=github_connection.pk))

    listing = [r for r in github.requests_to("GET") if r.path.endswith("/repos/acme/billing/issues")][-1]
    assert listing.arg("since") == cursor and listing.arg("state") == "all"
    defect.refresh_from_db()
    assert defect.status == "in_progress"  # walked new -> triage -> in progress
    assert Comment.objects.filter(defect=defect, body__startswith="Seen while the webhook was down.").count() == 1


def test_a_secondary_rate_limit_429_with_retry_after_backs_off_and_holds_calls(
    github, github_connection, escalate, ticket
):
    github.fail_next(429, body={"message": "You have exceeded a secondary rate limit.", "documentation_url": "x"},
                     headers={"Retry-After": "90"})
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert row.status == Status.PENDING and "rate limit" in row.last_error
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=85)
    calls = len(github.log)
    OutboxItem.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbox_drain()
    assert len(github.log) == calls and not github.issues
    assert not Connection.objects.get(pk=github_connection.pk).paused


def test_a_spent_budget_waits_for_x_ratelimit_reset_instead_of_pausing(github, github_connection, escalate, ticket):
    github.remaining = 0
    github.reset_at = int(time.time()) + 600
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert row.status == Status.PENDING
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=590)
    assert not Connection.objects.get(pk=github_connection.pk).paused


def test_the_last_request_of_the_budget_holds_the_next_call_until_the_reset(
    github, github_connection, escalate, ticket
):
    github.remaining = 3  # enough to create the issue, not to go on
    github.reset_at = int(time.time()) + 300
    escalate(ticket, title="first")

    outbox_drain()

    assert len(github.issues) == 1
    calls = len(github.log)
    outbox_enqueue(defect=ExternalIssue.objects.get().defect, kind="status", payload={"status": "triage"})
    outbox_drain()
    assert len(github.log) == calls
    assert OutboxItem.objects.get(kind="status").next_attempt_at >= timezone.now() + timedelta(seconds=290)


def test_an_edited_github_comment_updates_its_twin_in_place_and_a_deleted_one_is_marked(
    github, github_connection, escalate, ticket, deliver
):
    defect = synced_defect(escalate, ticket)
    comment = github.comment_as(1, "Pool size is 4.")
    deliver(github_connection, *github.webhook("issue_comment", 1, action="created", comment=comment,
                                               secret=WEBHOOK_SECRET))
    edited = {**comment, "body": "Pool size is 2.", "updated_at": github.tick()}

    deliver(github_connection, *github.webhook("issue_comment", 1, action="edited", comment=edited,
                                               secret=WEBHOOK_SECRET))

    (twin,) = Comment.objects.filter(defect=defect)
    assert twin.body.startswith("Pool size is 2.") and "(edited)" not in twin.body

    deliver(github_connection, *github.webhook("issue_comment", 1, action="deleted", comment=edited,
                                               secret=WEBHOOK_SECRET))

    twin.refresh_from_db()
    assert twin.deleted_at is not None and twin.deleted_in == "GitHub"


def test_a_portal_comment_edit_patches_its_github_twin_and_a_deletion_deletes_it(
    github, github_connection, escalate, ticket, engineer
):
    defect = synced_defect(escalate, ticket)
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Pool size is 4.", visibility="shared",
                          defect=defect)
    outbox_drain()
    (posted,) = github.comments[1]

    comment_edit(comment=comment, actor=engineer, channel=Channel.WEB, body="Pool size is 2.")
    outbox_drain()

    (edited,) = github.comments[1]
    assert edited["id"] == posted["id"] and edited["body"].startswith("Pool size is 2.")
    assert len(github.requests_to("PATCH", f"/issues/comments/{posted['id']}")) == 1

    comment_delete(comment=comment, actor=engineer, channel=Channel.WEB)
    outbox_drain()

    assert github.comments[1] == []
    assert not OutboxItem.objects.exclude(status=Status.DONE).exists()


def test_github_down_keeps_the_change_waiting_without_pausing(github, github_connection, escalate, ticket):
    github.stop()
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert row.status == Status.PENDING and "unreachable" in row.last_error
    assert not Connection.objects.get(pk=github_connection.pk).paused
