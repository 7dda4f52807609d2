"""The GitLab connector (REST v4, plain HTTP) over real HTTP against a local GitLab."""

import json
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.installation import installation_forget
from core.models import Channel, Installation
from defects.attachments import check_upload
from defects.models import Comment, Defect
from defects.services.changes import defect_update
from defects.services.comments import comment_add
from defects.services.transitions import defect_transition
from sync.connectors import connector_for
from sync.connectors.base import (
    OutboundChange,
    WebhookRejected,
    attachment_marker,
    comment_marker,
    defect_marker,
)
from sync.models import Connection, ExternalIssue, InboundEvent, OutboxItem
from sync.outbox import outbox_enqueue
from sync.services.connections import connection_probe
from sync.services.link_existing import defect_link_existing
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests.factories import connect, synced_defect
from tests.fakes.gitlab_server import FakeGitLab
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

Status = OutboxItem.Status


@pytest.fixture
def gitlab():
    server = FakeGitLab().start()
    yield server
    server.stop()


@pytest.fixture
def gitlab_connection(db, gitlab, team, settings) -> Connection:
    settings.HANDOFF_SYNC_BACKOFF_SECONDS = 10
    return connect(
        team, name="GitLab", kind="gitlab", base_url=gitlab.origin, token="glpat-test-token",
        project="acme/billing", webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture(autouse=True)
def _own_installation():
    installation_forget()
    yield
    installation_forget()


# ---------------------------------------------------------------------- push
def test_escalating_creates_the_issue_with_scoped_labels_and_the_portal_link_in_a_footer(
    gitlab, gitlab_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)

    issue = gitlab.only_issue()
    assert issue["title"] == "PDF export times out"
    assert set(issue["labels"]) == {"severity::S2", "status::new"}
    assert issue["state"] == "opened"
    footer = issue["description"].rsplit("\n---\n", 1)[1]
    assert footer.startswith(f"Handoff defect: {defect.key} http")
    assert footer.endswith(f"/defects/{defect.pk}/ {defect_marker(defect.key)}")
    twin = ExternalIssue.objects.get(defect=defect)
    assert (twin.external_id, twin.key, twin.url) == ("1", "acme/billing#1", f"{gitlab.web}/-/issues/1")
    create = gitlab.requests_to("POST", "/issues")[0]
    assert create.path == "/api/v4/projects/acme%2Fbilling/issues"
    assert create.header("PRIVATE-TOKEN") == "glpat-test-token"


def test_a_repeated_create_finds_the_issue_our_account_opened_by_its_signed_footer(
    gitlab, gitlab_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)
    # As if the worker died after GitLab answered, before the twin was recorded.
    ExternalIssue.objects.filter(defect=defect).delete()
    OutboxItem.objects.filter(kind="create").update(status=Status.PENDING)

    outbox_drain()

    assert len(gitlab.issues) == 1
    assert ExternalIssue.objects.get(defect=defect).external_id == "1"
    lookup = [r for r in gitlab.requests_to("GET", "/issues") if r.arg("author_id")][-1]
    assert lookup.arg("author_id") == "7" and lookup.arg("order_by") == "created_at"


def test_an_outsiders_issue_naming_the_key_is_not_adopted_by_a_repeated_create(
    gitlab, gitlab_connection, escalate, ticket
):
    defect = escalate(ticket)
    # The outsider copies even a marker (from another defect's issue, or another installation's).
    gitlab.add_issue("Hijack", description=f"x\n\n---\nHandoff defect: {defect.key} https://evil.example/ "
                     f"{defect_marker(defect.key)}", author="oscar-outsider")
    gitlab.add_issue("Unsigned", description=f"x\n\n---\nHandoff defect: {defect.key} https://evil.example/",
                     author="handoff-bot")
    OutboxItem.objects.filter(kind="create").update(attempts=1)

    outbox_drain()

    twin = ExternalIssue.objects.get(defect=defect)
    assert twin.external_id == "3" and len(gitlab.issues) == 3
    assert gitlab.issues[3]["author"] == "handoff-bot"


def test_another_installations_issue_for_the_same_key_is_not_adopted(gitlab, gitlab_connection, escalate, ticket):
    defect = synced_defect(escalate, ticket)
    ExternalIssue.objects.filter(defect=defect).delete()
    OutboxItem.objects.filter(kind="create").update(status=Status.PENDING)
    installation_forget()
    Installation.objects.all().delete()  # a fresh database (staging) numbering the defect again

    outbox_drain()

    assert len(gitlab.issues) == 2
    assert ExternalIssue.objects.get(defect=defect).external_id == "2"


def test_closing_statuses_close_the_issue_and_reopening_opens_it_keeping_one_label_per_scope(
    gitlab, gitlab_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)
    gitlab.set(1, labels=[*gitlab.only_issue()["labels"], "frontend"])

    outbox_enqueue(defect=defect, kind="status", payload={"status": "wont_fix"})
    outbox_drain()
    issue = gitlab.only_issue()
    assert issue["state"] == "closed"
    assert set(issue["labels"]) == {"status::won't fix", "severity::S2", "frontend"}
    edit = gitlab.requests_to("PUT", "/issues/1")[-1].json()
    assert edit["state_event"] == "close"
    assert (edit["add_labels"], edit["remove_labels"]) == ("status::won't fix", "status::new")

    outbox_enqueue(defect=defect, kind="status", payload={"status": "in_progress"})
    outbox_drain()
    assert issue["state"] == "opened"
    assert [n for n in issue["labels"] if n.startswith("status::")] == ["status::in progress"]
    assert gitlab.requests_to("PUT", "/issues/1")[-1].json()["state_event"] == "reopen"


def test_a_title_change_updates_the_issue_and_keeps_the_footer(gitlab, gitlab_connection, escalate, ticket, engineer):
    defect = synced_defect(escalate, ticket)

    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, title="PDF export fails for big invoices")
    outbox_drain()

    issue = gitlab.only_issue()
    assert issue["title"] == "PDF export fails for big invoices"
    assert issue["description"].count("Handoff defect:") == 1


def test_the_planned_release_becomes_the_milestone_found_or_made_by_title(
    gitlab, gitlab_connection, escalate, ticket, release
):
    defect = synced_defect(escalate, ticket)

    defect_update(defect=defect, actor=None, channel=Channel.WEB, planned_release=release)
    outbox_drain()

    milestone = gitlab.milestone_titled("2.4.0")
    assert gitlab.only_issue()["milestone_id"] == milestone["id"]
    lookup = gitlab.requests_to("GET", "/milestones")[0]
    assert (lookup.arg("title"), lookup.arg("include_ancestors")) == ("2.4.0", "true")

    defect_update(defect=defect, actor=None, channel=Channel.WEB, planned_release=None)
    outbox_drain()
    assert gitlab.only_issue()["milestone_id"] is None
    assert len(gitlab.milestones) == 1


def test_an_existing_milestone_is_used_not_made_again(gitlab, gitlab_connection, escalate, ticket, release):
    defect = synced_defect(escalate, ticket)
    gitlab.milestones[500] = {"id": 500, "iid": 1, "title": "2.4.0", "state": "closed", "created_at": gitlab.tick()}

    defect_update(defect=defect, actor=None, channel=Channel.WEB, planned_release=release)
    outbox_drain()

    assert gitlab.only_issue()["milestone_id"] == 500
    assert not gitlab.requests_to("POST", "/milestones")


def test_a_shared_comment_reaches_gitlab_once_as_a_note_even_when_pushed_twice(
    gitlab, gitlab_connection, escalate, ticket, engineer
):
    defect = synced_defect(escalate, ticket)
    comment = comment_add(actor=engineer, channel=Channel.WEB, body="Reproduced on 2.3.1.", visibility="shared",
                          defect=defect)
    outbox_drain()
    OutboxItem.objects.filter(kind="comment").update(status=Status.PENDING)

    outbox_drain()

    (posted,) = gitlab.user_notes(1)
    assert posted["body"].startswith("Reproduced on 2.3.1.") and comment_marker(comment.pk) in posted["body"]


def test_a_comment_edited_or_deleted_in_handoff_changes_its_note_in_place(gitlab, gitlab_connection, escalate, ticket):
    defect = synced_defect(escalate, ticket)
    twin = ExternalIssue.objects.get(defect=defect)
    connector = connector_for(gitlab_connection)
    base = {"defect_key": defect.key, "defect_url": "https://handoff.example/defects/1/",
            "twin": connector._twin(twin.external_id, twin.url)}
    connector.push(OutboundChange(kind="comment", comment="Pool size is 4.", source_id=77, **base))
    note_id = connector.posted_comment_id

    connector.push(OutboundChange(kind="comment_edit", comment="Pool size is 2.", source_id=77,
                                  comment_ref=note_id, **base))
    (note,) = gitlab.user_notes(1)
    assert str(note["id"]) == note_id and note["body"].startswith("Pool size is 2.")
    assert comment_marker(77) in note["body"]

    connector.push(OutboundChange(kind="comment_delete", source_id=77, comment_ref=note_id, **base))
    connector.push(OutboundChange(kind="comment_delete", source_id=77, comment_ref=note_id, **base))  # repeated
    connector.push(OutboundChange(kind="comment_edit", comment="Too late.", source_id=77, comment_ref=note_id,
                                  **base))  # edited in Handoff after it was deleted in GitLab: nothing to edit
    assert gitlab.user_notes(1) == []
    assert not Connection.objects.get(pk=gitlab_connection.pk).paused


def test_an_attachment_is_uploaded_once_and_linked_from_a_note(gitlab, gitlab_connection, escalate, ticket):
    log = SimpleUploadedFile("export.log", b"ERROR pdf render timeout\n", content_type="text/plain")
    defect = escalate(ticket, attachments=[check_upload(log)])
    outbox_drain()
    OutboxItem.objects.filter(kind="attachment").update(status=Status.PENDING)

    outbox_drain()

    assert gitlab.uploads == [("export.log", b"ERROR pdf render timeout\n")]
    (posted,) = gitlab.user_notes(1)
    assert "[export.log](/uploads/" in posted["body"] and f"/defects/{defect.pk}/" in posted["body"]
    assert attachment_marker(defect.attachments.get().pk) in posted["body"]


# ---------------------------------------------------------------------- webhooks
def test_a_note_made_on_gitlab_reaches_the_defect_by_webhook(gitlab, gitlab_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    note = gitlab.comment_as(1, "The renderer pool is too small.")

    response = deliver(gitlab_connection, *gitlab.note_hook(note, secret=WEBHOOK_SECRET))

    assert response.status_code == 202
    (shared,) = Comment.objects.filter(defect=defect)
    assert shared.body.startswith("The renderer pool is too small.") and "gina-gitlab" in shared.body
    assert "X-Gitlab-Token" not in InboundEvent.objects.get().headers  # the secret itself is never stored


def test_our_own_note_coming_back_by_webhook_is_not_copied(
    gitlab, gitlab_connection, escalate, ticket, engineer, deliver
):
    defect = synced_defect(escalate, ticket)
    comment_add(actor=engineer, channel=Channel.WEB, body="From Handoff.", visibility="shared", defect=defect)
    outbox_drain()
    (ours,) = gitlab.user_notes(1)

    deliver(gitlab_connection, *gitlab.note_hook({**ours, "author": "handoff-bot"}, secret=WEBHOOK_SECRET))

    assert Comment.objects.filter(defect=defect).count() == 1


def test_a_note_edited_on_gitlab_keeps_its_id_and_carries_the_new_body(gitlab, gitlab_connection, escalate, ticket):
    synced_defect(escalate, ticket)
    note = gitlab.edit_as(gitlab.comment_as(1, "Pool size is 4."), "Pool size is 2.")
    body, headers = gitlab.note_hook(note, action="update", secret=WEBHOOK_SECRET)

    (issue,) = connector_for(gitlab_connection).parse_webhook(headers=headers, body=body)

    (comment,) = issue.comments
    assert (comment.id, comment.body, comment.author) == (str(note["id"]), "Pool size is 2.", "gina-gitlab")


def test_closing_the_issue_on_gitlab_marks_the_defect_fixed(
    gitlab, gitlab_connection, escalate, ticket, deliver, engineer, release
):
    defect = synced_defect(escalate, ticket)
    for status in ("triage", "in_progress", "in_verification"):
        defect_transition(defect=defect, to=status, actor=engineer, channel=Channel.WEB)
    # Fixed needs the release it is fixed in: the one planned.
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    outbox_drain()
    gitlab.set(1, state="closed")

    deliver(gitlab_connection, *gitlab.issue_hook(1, action="close", secret=WEBHOOK_SECRET))

    defect.refresh_from_db()
    assert defect.status == "fixed"


def test_a_status_label_set_on_gitlab_moves_the_defect(gitlab, gitlab_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    gitlab.set(1, labels=["severity::S1", "status::in progress"])

    deliver(gitlab_connection, *gitlab.issue_hook(1, secret=WEBHOOK_SECRET))

    defect.refresh_from_db()
    assert (defect.status, defect.severity) == ("in_progress", "S1")


def test_a_replayed_delivery_is_applied_once(gitlab, gitlab_connection, escalate, ticket, deliver):
    defect = synced_defect(escalate, ticket)
    body, headers = gitlab.note_hook(gitlab.comment_as(1, "Fixed in main."), secret=WEBHOOK_SECRET)

    first, again = deliver(gitlab_connection, body, headers), deliver(gitlab_connection, body, headers)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"delivery": headers["X-Gitlab-Event-UUID"], "duplicate": True}
    assert Comment.objects.filter(defect=defect).count() == 1
    assert InboundEvent.objects.get().delivery_id == headers["X-Gitlab-Event-UUID"]


@pytest.mark.parametrize("token", ["not-the-secret", None], ids=["wrong", "missing"])
def test_a_delivery_with_a_wrong_or_missing_token_is_refused_and_nothing_is_written(
    gitlab, gitlab_connection, escalate, ticket, deliver, token
):
    defect = synced_defect(escalate, ticket)
    body, headers = gitlab.note_hook(gitlab.comment_as(1, "Sneaky."), secret=token)

    response = deliver(gitlab_connection, body, headers)

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()
    assert not Comment.objects.filter(defect=defect).exists()


def test_a_delivery_without_an_event_uuid_is_refused(gitlab, gitlab_connection):
    connector = connector_for(gitlab_connection)

    with pytest.raises(WebhookRejected) as refused:
        connector.verify_webhook(headers={"X-Gitlab-Token": WEBHOOK_SECRET}, body=b"{}", secret=WEBHOOK_SECRET)
    with pytest.raises(WebhookRejected) as unset:
        connector.verify_webhook(headers={"X-Gitlab-Token": ""}, body=b"{}", secret="")

    assert refused.value.status == 400 and "X-Gitlab-Event-UUID" in str(refused.value)
    assert unset.value.status == 401


def test_a_delivery_with_the_right_token_that_cannot_be_read_is_kept_with_its_error(gitlab_connection, deliver):
    response = deliver(gitlab_connection, b'{"object_kind": "issue", "object_attributes": ',
                       {"X-Gitlab-Token": WEBHOOK_SECRET, "X-Gitlab-Event": "Issue Hook",
                        "X-Gitlab-Event-UUID": "e-1"})

    assert response.status_code == 400
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED and "Unreadable GitLab delivery" in event.error


def test_a_group_hooks_event_about_another_project_changes_nothing(
    gitlab, gitlab_connection, escalate, ticket, deliver
):
    defect = synced_defect(escalate, ticket)
    gitlab.set(1, state="closed", labels=["status::won't fix"])
    other = {"id": 99, "name": "other", "path_with_namespace": "acme/other", "web_url": f"{gitlab.origin}/acme/other"}

    response = deliver(gitlab_connection, *gitlab.issue_hook(1, action="close", secret=WEBHOOK_SECRET, project=other))

    assert response.status_code == 202
    defect.refresh_from_db()
    assert defect.status == "new"


def test_an_unlinked_issue_naming_a_defect_is_never_adopted_from_inbound_traffic(
    gitlab, gitlab_connection, escalate, ticket, deliver
):
    defect = escalate(ticket)  # not in GitLab yet
    issue = gitlab.add_issue("Renamed", description=f"---\nHandoff defect: {defect.key} https://evil.example/",
                             labels=["status::won't fix"], state="closed", author="oscar-outsider")

    deliver(gitlab_connection, *gitlab.issue_hook(issue["iid"], action="close", secret=WEBHOOK_SECRET))
    connection_poll(connection=gitlab_connection)

    defect = Defect.objects.get(pk=defect.pk)
    assert (defect.status, defect.title) == ("new", "PDF export times out")
    assert not ExternalIssue.objects.filter(defect=defect).exists()


# ---------------------------------------------------------------------- poll
def test_missed_events_are_recovered_by_polling_updated_after_the_cursor(
    gitlab, gitlab_connection, escalate, ticket, release
):
    defect = synced_defect(escalate, ticket)
    connection_poll(connection=gitlab_connection)
    cursor = Connection.objects.get(pk=gitlab_connection.pk).poll_cursor
    gitlab.comment_as(1, "Seen while the webhook was down.")
    gitlab.milestones[600] = {"id": 600, "iid": 1, "title": "2.4.0", "state": "active", "created_at": gitlab.tick()}
    gitlab.set(1, labels=["severity::S2", "status::in progress"], milestone_id=600)

    connection_poll(connection=Connection.objects.get(pk=gitlab_connection.pk))

    listing = [r for r in gitlab.requests_to("GET") if r.path.endswith("/projects/acme%2Fbilling/issues")][-1]
    assert listing.arg("updated_after") == cursor and listing.arg("order_by") == "updated_at"
    defect.refresh_from_db()
    assert defect.status == "in_progress"
    assert defect.planned_release == release
    assert Comment.objects.filter(defect=defect, body__startswith="Seen while the webhook was down.").count() == 1


def test_a_poll_follows_the_pages_gitlab_hands_out(gitlab, gitlab_connection):
    for number in range(120):
        gitlab.add_issue(f"Issue {number}")

    result = connector_for(gitlab_connection).pull("")

    assert len(result.issues) == 120
    pages = [r.arg("page") for r in gitlab.requests_to("GET", "/issues")]
    assert pages == ["1", "2"]


# ---------------------------------------------------------------------- rate limits and failures
def test_a_429_with_retry_after_backs_off_and_holds_calls(gitlab, gitlab_connection, escalate, ticket):
    gitlab.fail_next(429, body="Retry later\n", headers={"Retry-After": "90"})
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert row.status == Status.PENDING and "429" in row.last_error
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=85)
    calls = len(gitlab.log)
    OutboxItem.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbox_drain()
    assert len(gitlab.log) == calls and not gitlab.issues
    assert not Connection.objects.get(pk=gitlab_connection.pk).paused


def test_the_last_request_of_the_budget_holds_the_next_call_until_ratelimit_reset(
    gitlab, gitlab_connection, escalate, ticket
):
    gitlab.remaining = 3  # GET /user, the lookup and the create
    gitlab.reset_at = int(time.time()) + 300
    escalate(ticket, title="first")

    outbox_drain()

    assert len(gitlab.issues) == 1
    calls = len(gitlab.log)
    outbox_enqueue(defect=ExternalIssue.objects.get().defect, kind="status", payload={"status": "triage"})
    outbox_drain()
    assert len(gitlab.log) == calls
    assert OutboxItem.objects.get(kind="status").next_attempt_at >= timezone.now() + timedelta(seconds=290)


def test_a_wrong_token_pauses_the_connection_with_gitlabs_reason(gitlab, gitlab_connection, escalate, ticket):
    Connection.objects.filter(pk=gitlab_connection.pk).update(token="glpat-revoked")
    escalate(ticket)

    outbox_drain()

    connection = Connection.objects.get(pk=gitlab_connection.pk)
    assert connection.paused and "401" in connection.last_error
    assert "glpat-revoked" not in connection.last_error


def test_a_refused_change_names_gitlabs_message(gitlab, gitlab_connection, escalate, ticket):
    gitlab.fail_next(400, body={"message": {"title": ["is too long (maximum is 255 characters)"]}},
                     method="POST", path_contains="/issues")
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert "title is too long (maximum is 255 characters)" in row.last_error
    assert not Connection.objects.get(pk=gitlab_connection.pk).paused


def test_gitlab_down_keeps_the_change_waiting_without_pausing(gitlab, gitlab_connection, escalate, ticket):
    gitlab.stop()
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get(kind="create")
    assert row.status == Status.PENDING and "unreachable" in row.last_error
    assert not Connection.objects.get(pk=gitlab_connection.pk).paused


def test_calls_go_through_the_outbound_guard(gitlab, gitlab_connection, escalate, ticket, settings):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False
    escalate(ticket)

    outbox_drain()

    connection = Connection.objects.get(pk=gitlab_connection.pk)
    assert connection.paused and "internal address" in connection.last_error
    assert not gitlab.log


# ---------------------------------------------------------------------- link an existing issue
@pytest.mark.parametrize("reference", ["#{iid}", "acme/billing#{iid}", "{web}/-/issues/{iid}", "{web}/issues/{iid}/"])
def test_an_engineer_links_an_existing_gitlab_issue_by_reference_or_url(
    gitlab, gitlab_connection, escalate, ticket, engineer, reference
):
    existing = gitlab.add_issue("PDF timeouts", description="Seen by two customers.",
                                labels=["status::in progress", "severity::S4"])
    gitlab.comment_as(existing["iid"], "Older discussion that stays in GitLab.")
    defect = escalate(ticket)

    twin = defect_link_existing(defect=defect, connection=gitlab_connection, actor=engineer, channel=Channel.WEB,
                                reference=reference.format(iid=existing["iid"], web=gitlab.web))
    outbox_drain()

    assert (twin.key, twin.external_id) == (f"acme/billing#{existing['iid']}", str(existing["iid"]))
    assert len(gitlab.issues) == 1
    assert existing["description"].startswith(f"Seen by two customers.\n\n---\nHandoff defect: {defect.key} ")
    assert set(existing["labels"]) == {"status::in progress", "severity::S2"}  # the portal keeps its severity
    defect.refresh_from_db()
    assert defect.status == "in_progress" and defect.title == "PDF export times out"
    assert not Comment.objects.filter(defect=defect).exists()


@pytest.mark.parametrize(("reference", "message"), [
    ("acme/billing#99", "No issue acme/billing#99"),
    ("acme/other#1", "not acme/billing"),
    ("not an issue", "is not a GitLab issue number or URL"),
])
def test_a_reference_that_names_no_issue_of_the_project_is_refused(
    gitlab, gitlab_connection, escalate, ticket, engineer, reference, message
):
    gitlab.add_issue("Something")
    defect = escalate(ticket)

    with pytest.raises(ValidationError) as refused:
        defect_link_existing(defect=defect, connection=gitlab_connection, reference=reference, actor=engineer,
                             channel=Channel.WEB)

    assert message in str(refused.value.message_dict["reference"])
    assert not ExternalIssue.objects.exists()


def test_the_registry_serves_gitlab_with_its_default_maps(gitlab_connection):
    connector = connector_for(gitlab_connection)

    assert type(connector).__name__ == "GitLabConnector"
    assert connector.config.status_map["in_progress"] == "in progress"
    assert connector.config.priority_map["S1"] == "S1"
    assert "glpat" not in repr(connector)
    assert json.dumps(Connection.Kind.GITLAB.label) == '"GitLab"'


def test_testing_a_gitlab_connection_reports_the_project_and_the_account(gitlab_connection):
    result = connection_probe(connection=gitlab_connection)
    assert result.ok, result.error
    assert result.found == {"project": "acme/billing", "account": "handoff-bot"}


def test_testing_a_gitlab_connection_with_a_wrong_token_reports_a_clean_401(gitlab_connection):
    gitlab_connection.token = "glpat-wrong"
    gitlab_connection.save(update_fields=["token"])
    result = connection_probe(connection=gitlab_connection)
    assert not result.ok
    assert "401" in result.error and "glpat-wrong" not in result.error
