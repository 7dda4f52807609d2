"""The Jira connector over real HTTP against a local Jira speaking REST API v2."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import Channel
from defects.attachments import check_upload
from defects.models import Comment
from defects.services.comments import comment_add, comment_delete, comment_edit
from defects.services.transitions import defect_transition
from sync.connectors import connector_for
from sync.connectors.base import OutboundChange, comment_marker
from sync.models import Connection, ExternalIssue, InboundEvent, OutboxItem, SyncConflict
from sync.outbox import outbox_enqueue
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests.factories import hmac_signature, synced_defect
from tests.fakes.jira_server import REVIEW_WORKFLOW
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

Status = OutboxItem.Status


def test_escalating_creates_the_jira_issue_with_priority_component_key_label_and_a_link_back(
    jira, jira_connection, escalate, ticket, component
):
    defect = synced_defect(escalate, ticket)

    issue = jira.only_issue()
    assert issue["summary"] == "PDF export times out"
    assert issue["issuetype"] == "Bug" and issue["priority"] == "High"  # S2
    assert issue["components"] == [component.name]
    assert f"handoff-{defect.key}" in issue["labels"]
    (link,) = jira.remote_links[issue["id"]].values()
    assert link["globalId"] == f"handoff:{defect.key}"
    assert link["object"]["url"].endswith(f"/defects/{defect.pk}/")
    twin = ExternalIssue.objects.get(defect=defect)
    assert (twin.external_id, twin.key, twin.url) == (issue["id"], "HD-1", f"{jira.base_url}/browse/HD-1")
    assert jira.requests_to("POST", "/rest/api/2/issue")[0].header("Authorization").startswith("Basic ")


def test_a_repeated_create_finds_the_issue_by_its_key_label_instead_of_making_another(
    jira, jira_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)
    connector = connector_for(jira_connection)
    again = OutboundChange(kind="create", defect_key=defect.key, defect_url="http://portal/defects/1/", twin=None,
                           fields={"title": defect.title, "status": "To Do"})

    twin = connector.push(again)

    assert len(jira.issues) == 1
    assert twin.key == "HD-1"
    assert len(jira.remote_links[jira.only_issue()["id"]]) == 1  # upserted by globalId


def test_title_priority_and_planned_release_edits_reach_jira(jira, jira_connection, escalate, ticket, release):
    from defects.services.changes import defect_update

    defect = synced_defect(escalate, ticket)
    defect_update(defect=defect, actor=None, channel=Channel.WEB, title="PDF export of big invoices times out",
                  planned_release=release)
    outbox_enqueue(defect=defect, kind="severity", payload={"severity": "S1"})

    outbox_drain()

    issue = jira.only_issue()
    assert issue["summary"] == "PDF export of big invoices times out"
    assert issue["fixVersions"] == ["2.4.0"]
    assert issue["priority"] == "Highest"
    assert not OutboxItem.objects.exclude(status=Status.DONE).exists()


def test_a_status_change_walks_the_transition_the_workflow_offers(
    jira, jira_connection, escalate, ticket, engineer
):
    defect = synced_defect(escalate, ticket)
    defect_transition(defect=defect, to="triage", actor=engineer, channel=Channel.WEB)
    defect_transition(defect=defect, to="in_progress", actor=engineer, channel=Channel.WEB)

    outbox_drain()

    assert jira.only_issue()["status"] == "In Progress"
    (move,) = jira.requests_to("POST", "/transitions")
    assert move.json() == {"transition": {"id": "21"}}


def test_a_status_not_offered_from_the_current_one_is_reached_by_the_shortest_path_of_transitions(
    jira, jira_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)
    jira.workflow = REVIEW_WORKFLOW  # To Do -> In Progress -> In Review -> Done, no shortcut
    outbox_enqueue(defect=defect, kind="status", payload={"status": "fixed"})

    outbox_drain()

    assert OutboxItem.objects.get(kind="status").status == Status.DONE
    assert jira.only_issue()["status"] == "Done"
    moves = [r.json()["transition"]["id"] for r in jira.requests_to("POST", "/transitions")]
    assert moves[-3:] == ["21", "51", "31"]  # start, send to review, approve: three moves, no detour


def test_a_status_the_workflow_cannot_reach_fails_with_a_conflict_naming_it_and_shows_on_the_health_page(
    jira, jira_connection, escalate, ticket, engineer, client
):
    defect = synced_defect(escalate, ticket)
    # Work can be started and stopped, but nothing leads to Done.
    jira.workflow = {"To Do": [("21", "Start progress", "In Progress")],
                     "In Progress": [("11", "Stop progress", "To Do")], "Done": []}
    outbox_enqueue(defect=defect, kind="status", payload={"status": "fixed"})

    outbox_drain()

    row = OutboxItem.objects.get(kind="status")
    assert row.status == Status.FAILED
    assert "no path to Done" in row.last_error
    (conflict,) = SyncConflict.objects.filter(defect=defect)
    assert conflict.field == "status" and conflict.portal_value == "Done" and "could not reach Done" in conflict.note
    jira_connection.refresh_from_db()
    assert "no path to Done" in jira_connection.last_error and not jira_connection.paused
    assert len(jira.requests_to("POST", "/transitions")) <= 6
    client.force_login(engineer)
    page = client.get(f"/sync/{jira_connection.pk}/")
    assert "no path to Done" in page.content.decode()


def test_a_shared_comment_reaches_jira_once_even_when_pushed_twice(jira, jira_connection, escalate, ticket, engineer):
    defect = synced_defect(escalate, ticket)
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Reproduced on 2.3.1.", visibility="shared",
                          defect=defect)
    outbox_drain()
    row = OutboxItem.objects.get(kind="comment")
    OutboxItem.objects.filter(pk=row.pk).update(status=Status.PENDING)  # as if the worker died after posting

    outbox_drain()

    (posted,) = jira.only_issue()["comments"]
    assert posted["body"].startswith("Reproduced on 2.3.1.")
    assert comment_marker(comment.pk) in posted["body"]


def test_a_comment_on_its_first_try_is_posted_without_reading_the_issue_s_comments_first(
    jira, jira_connection, escalate, ticket, engineer,
):
    defect = synced_defect(escalate, ticket)
    comment_add(actor=engineer, channel=Channel.WEB, body="Reproduced on 2.3.1.", visibility="shared", defect=defect)

    outbox_drain()

    assert len(jira.requests_to("POST", "/comment")) == 1
    assert jira.requests_to("GET", "/comment") == []


def test_an_attachment_is_uploaded_as_multipart_with_the_xsrf_header_once(jira, jira_connection, escalate, ticket):
    log = SimpleUploadedFile("export.log", b"ERROR pdf render timeout after 30s\n", content_type="text/plain")
    escalate(ticket, attachments=[check_upload(log)])
    outbox_drain()
    row = OutboxItem.objects.get(kind="attachment")
    OutboxItem.objects.filter(pk=row.pk).update(status=Status.PENDING)

    outbox_drain()

    (attachment,) = jira.only_issue()["attachments"]
    assert (attachment["filename"], attachment["data"]) == ("export.log", b"ERROR pdf render timeout after 30s\n")
    assert len(jira.requests_to("POST", "/attachments")) == 1


def test_a_comment_made_in_jira_reaches_the_defect_by_webhook(jira, jira_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    comment = jira.comment_as("HD-1", "Root cause: the renderer's pool is too small.")
    body, headers = jira.webhook("comment_created", "HD-1", comment=comment, secret=WEBHOOK_SECRET)

    response = deliver(jira_connection, body, headers)

    assert response.status_code == 202
    (shared,) = Comment.objects.filter(defect=defect)
    assert shared.body.startswith("Root cause: the renderer's pool is too small.")
    assert "Jamie Jira" in shared.body
    assert InboundEvent.objects.get().status == InboundEvent.Status.DONE


def test_a_status_change_in_jira_reaches_the_defect_by_webhook(jira, jira_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    jira.set("HD-1", status="In Progress")
    body, headers = jira.webhook("jira:issue_updated", "HD-1", secret=WEBHOOK_SECRET)

    deliver(jira_connection, body, headers)

    defect.refresh_from_db()
    assert defect.status == "in_progress"
    # Not echoed back: the change came from Jira.
    assert not OutboxItem.objects.filter(kind="status").exists()


def test_a_replayed_delivery_is_applied_once(jira, jira_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    comment = jira.comment_as("HD-1", "Fixed in main.")
    body, headers = jira.webhook("comment_created", "HD-1", comment=comment, secret=WEBHOOK_SECRET,
                                 identifier="delivery-77")

    first = deliver(jira_connection, body, headers)
    again = deliver(jira_connection, body, headers)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["duplicate"] is True
    assert Comment.objects.filter(defect=defect).count() == 1
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, None], ids=["bad", "missing"])
def test_a_delivery_with_a_bad_or_missing_signature_is_refused_and_nothing_is_written(
    jira, jira_connection, escalate, ticket, deliver, signature
):
    defect = synced_defect(escalate, ticket)
    jira.set("HD-1", status="In Progress")
    body, headers = jira.webhook("jira:issue_updated", "HD-1", secret=WEBHOOK_SECRET)
    if signature is None:
        del headers["X-Hub-Signature"]
    else:
        headers["X-Hub-Signature"] = signature

    response = deliver(jira_connection, body, headers)

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()
    defect.refresh_from_db()
    assert defect.status == "new"


def test_a_signed_delivery_that_cannot_be_read_is_kept_with_its_error_and_answered_400(
    jira, jira_connection, deliver, engineer, client
):
    body = b'{"webhookEvent": "jira:issue_updated", "issue": {"fields": {}}'
    signature = hmac_signature(WEBHOOK_SECRET, body)

    response = deliver(jira_connection, body, {"X-Hub-Signature": signature,
                                               "X-Atlassian-Webhook-Identifier": "broken-1"})

    assert response.status_code == 400
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED and "Unreadable Jira delivery" in event.error
    client.force_login(engineer)
    assert "Unreadable Jira delivery" in client.get(f"/sync/{jira_connection.pk}/").content.decode()


def test_a_poll_brings_jira_changes_made_while_no_webhook_arrived(jira, jira_connection, escalate, ticket):
    defect = synced_defect(escalate, ticket)
    connection_poll(connection=jira_connection)
    jira.set("HD-1", status="In Progress")
    jira.comment_as("HD-1", "Working on it.")

    seen = connection_poll(connection=Connection.objects.get(pk=jira_connection.pk))

    assert seen == 1
    defect.refresh_from_db()
    assert defect.status == "in_progress"
    assert Comment.objects.filter(defect=defect, body__startswith="Working on it.").count() == 1
    (search,) = jira.requests_to("POST", "/search/jql")[-1:]
    assert 'updated >= "-' in search.json()["jql"]


def test_a_429_with_retry_after_backs_the_row_off_and_holds_every_call_until_then(
    jira, jira_connection, escalate, ticket
):
    jira.fail_next(429, body={"errorMessages": ["Rate limit exceeded."], "errors": {}},
                   headers={"Retry-After": "120", "X-RateLimit-Reset": "2030-01-01T00:00Z"})
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert row.status == Status.PENDING and "429" in row.last_error
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=115)
    calls = len(jira.log)
    OutboxItem.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    outbox_drain()

    assert len(jira.log) == calls  # the gate held the call: Jira was not asked again
    assert "rate limit" in OutboxItem.objects.get(pk=row.pk).last_error
    assert not jira.issues


def test_a_wrong_token_pauses_the_connection_with_its_error(jira, jira_connection, escalate, ticket):
    Connection.objects.filter(pk=jira_connection.pk).update(token="bot@example.com:expired-t0ken")
    escalate(ticket)

    outbox_drain()

    connection = Connection.objects.get(pk=jira_connection.pk)
    assert connection.paused and "401" in connection.last_error and "expired-t0ken" not in connection.last_error
    assert OutboxItem.objects.get().status == Status.PENDING


def test_an_edited_jira_comment_updates_its_twin_in_place_once(jira, jira_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    comment = jira.comment_as("HD-1", "Pool size is 4.")
    deliver(jira_connection, *jira.webhook("comment_created", "HD-1", comment=comment, secret=WEBHOOK_SECRET))
    edited = {**comment, "body": "Pool size is 2.", "updated": jira.tick()}
    body, headers = jira.webhook("comment_updated", "HD-1", comment=edited, secret=WEBHOOK_SECRET)

    deliver(jira_connection, body, headers)
    deliver(jira_connection, body, {**headers, "X-Atlassian-Webhook-Identifier": "a-retry-with-a-new-id"})

    (twin,) = Comment.objects.filter(defect=defect)
    assert twin.body.startswith("Pool size is 2.") and twin.edited_at is not None
    assert "(edited)" not in twin.body


def test_a_comment_deleted_in_jira_is_marked_deleted_in_the_portal(jira, jira_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    comment = jira.comment_as("HD-1", "Pool size is 4.")
    deliver(jira_connection, *jira.webhook("comment_created", "HD-1", comment=comment, secret=WEBHOOK_SECRET))

    deliver(jira_connection, *jira.webhook("comment_deleted", "HD-1", comment=comment, secret=WEBHOOK_SECRET))

    (twin,) = Comment.objects.filter(defect=defect)
    assert twin.deleted_at is not None and twin.deleted_in == "Jira Cloud"


def test_a_portal_comment_edited_then_deleted_changes_its_jira_twin_in_place(
    jira, jira_connection, escalate, ticket, engineer
):
    defect = synced_defect(escalate, ticket)
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Pool size is 4.", visibility="shared",
                          defect=defect)
    outbox_drain()
    (posted,) = jira.only_issue()["comments"]

    comment_edit(comment=comment, actor=engineer, channel=Channel.WEB, body="Pool size is 2.")
    outbox_drain()

    (edited,) = jira.only_issue()["comments"]
    assert edited["id"] == posted["id"] and edited["body"].startswith("Pool size is 2.")
    assert comment_marker(comment.pk) in edited["body"]

    comment_delete(comment=comment, actor=engineer, channel=Channel.WEB)
    outbox_drain()

    assert jira.only_issue()["comments"] == []
    assert not OutboxItem.objects.exclude(status=Status.DONE).exists()


def test_a_component_jira_does_not_have_is_left_out_rather_than_losing_the_issue(
    jira, jira_connection, escalate, ticket, component
):
    jira.project["components"] = ["Rendering"]

    escalate(ticket)
    outbox_drain()

    issue = jira.only_issue()
    assert issue["components"] == [] and issue["summary"] == "PDF export times out"
    assert OutboxItem.objects.get(kind="create").status == Status.DONE


def test_a_success_that_spends_the_last_request_holds_the_next_call_until_the_iso_reset(
    jira, jira_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)
    jira.fail_next(201, body={"id": "10500", "body": "One"},
                   headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2099-01-01T00:00Z"},
                   method="POST", path_contains="/comment")
    outbox_enqueue(defect=defect, kind="comment", payload={"comment_id": 7, "body": "One", "author": "Erin"})
    outbox_enqueue(defect=defect, kind="comment", payload={"comment_id": 8, "body": "Two", "author": "Erin"})

    outbox_drain()

    first, second = OutboxItem.objects.filter(kind="comment").order_by("pk")
    assert first.status == Status.DONE
    assert second.status == Status.PENDING and "rate limit" in second.last_error
    assert second.next_attempt_at > timezone.now() + timedelta(days=365)
    assert len(jira.requests_to("POST", "/comment")) == 1


def test_a_poll_follows_next_page_tokens_through_every_page(jira, jira_connection):
    for n in range(130):
        jira.add_issue(f"Issue {n}")

    result = connector_for(jira_connection).pull("")

    assert len(result.issues) == 130
    assert [r.json().get("nextPageToken") for r in jira.requests_to("POST", "/search/jql")] == [None, "100"]
