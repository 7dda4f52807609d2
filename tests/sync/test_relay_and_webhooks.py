"""The periodic relay, the embedded poll command, and the shared webhook endpoint."""

import json

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from core.models import Channel
from defects.models import Comment
from defects.severity import Impact, Urgency
from sync.models import Connection, InboundEvent, OutboxItem
from sync.outbox import outbox_enqueue
from sync.services import webhooks
from sync.services.push import outbox_drain
from sync.tasks import sync_relay
from tests.factories import connect, escalate, hmac_signature, synced_defect

pytestmark = pytest.mark.django_db


def test_the_relay_pushes_rows_whose_queued_push_was_lost(connection, make_ticket, agent, tracker):
    # The broker lost the message queued after commit: the rows just sit there.
    first = escalate(make_ticket(), agent)
    second = escalate(make_ticket(subject="Other"), agent, title="Other problem")
    assert OutboxItem.objects.filter(status="pending").count() == 2

    sync_relay()

    assert sorted(i.portal_key for i in tracker.issues.values()) == sorted([first.key, second.key])
    assert not OutboxItem.objects.exclude(status="done").exists()


def test_the_poll_command_pushes_and_pulls_without_a_worker(connection, ticket, agent, tracker):
    defect = escalate(ticket, agent)
    call_command("sync_poll")
    tracker.comment(tracker.only_issue().id, "Seen it")

    call_command("sync_poll")

    assert Comment.objects.get(defect=defect).body.startswith("Seen it")


def test_a_change_from_a_tracker_is_not_queued_back_to_it(connection, ticket, agent, tracker):
    defect = escalate(ticket, agent)
    outbox_drain()
    rows = outbox_enqueue(defect=defect, kind="status", payload={"status": "triage"},
                          channel=Channel.tracker(connection.name))
    assert rows == []


def test_attachments_sent_with_an_escalation_follow_the_create(connection, ticket, agent, tracker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from defects.attachments import check_upload

    log = check_upload(SimpleUploadedFile("server.log", b"ERROR timeout after 30s\n" * 3, "text/plain"))
    escalate(ticket, agent, title="Timeout", impact=Impact.SINGLE_USER, urgency=Urgency.BLOCKED, attachments=[log])
    outbox_drain()
    assert [c.kind for c in tracker.pushes] == ["create", "attachment"]
    assert tracker.only_issue().files == ["server.log"]


@pytest.fixture
def hooked(connection, ticket, agent, tracker):
    Connection.objects.filter(pk=connection.pk).update(webhook_secret="hook-secret")
    defect = synced_defect(escalate, ticket, agent)
    tracker.comment(tracker.only_issue().id, "From a webhook")
    return defect


def post_hook(client, connection, body: bytes, signature: str | None, delivery="d-1"):
    headers = {"HTTP_X_DELIVERY": delivery}
    if signature is not None:
        headers["HTTP_X_SIGNATURE"] = signature
    return client.post(f"/hooks/{connection.pk}/", data=body, content_type="application/json", **headers)


def test_a_webhook_with_a_bad_or_missing_signature_is_refused_and_writes_nothing(client, hooked, connection):
    body = json.dumps({"issue": 1}).encode()
    assert post_hook(client, connection, body, hmac_signature("wrong", body)).status_code == 401
    assert post_hook(client, connection, body, None).status_code == 401
    assert not InboundEvent.objects.exists()
    assert not Comment.objects.exists()


def test_a_replayed_delivery_is_applied_once(client, hooked, connection, django_capture_on_commit_callbacks):
    body = json.dumps({"issue": 1}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_hook(client, connection, body, hmac_signature("hook-secret", body))
    with django_capture_on_commit_callbacks(execute=True):
        again = post_hook(client, connection, body, hmac_signature("hook-secret", body))

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["duplicate"] is True
    assert InboundEvent.objects.get().status == InboundEvent.Status.DONE
    assert Comment.objects.filter(defect=hooked).count() == 1


def test_an_unreadable_delivery_is_kept_with_its_error_and_answered_400(client, hooked, connection):
    body = b"not json"
    response = post_hook(client, connection, body, hmac_signature("hook-secret", body), delivery="d-bad")
    assert response.status_code == 400
    event = InboundEvent.objects.get()
    assert (event.status, event.error) == (InboundEvent.Status.FAILED, "Unreadable payload.")


def test_a_resend_of_a_body_whose_delivery_failed_is_stored_again(client, hooked, connection):
    body = b"not json"
    first = post_hook(client, connection, body, hmac_signature("hook-secret", body), delivery="d-1")
    again = post_hook(client, connection, body, hmac_signature("hook-secret", body), delivery="d-2")

    assert (first.status_code, again.status_code) == (400, 400)
    assert sorted(InboundEvent.objects.values_list("delivery_id", flat=True)) == ["d-1", "d-2"]


def test_the_same_body_to_another_connection_is_not_a_duplicate(client, hooked, connection, team, tracker):
    other = connect(team, name="second-tracker", kind="fake", base_url="https://tracker.example", project="OPS",
                    status_map=connection.status_map, priority_map=connection.priority_map)
    Connection.objects.filter(pk__in=[connection.pk, other.pk]).update(webhook_secret="hook-secret")
    body = json.dumps({"issue": tracker.only_issue().id}).encode()

    answers = [post_hook(client, hook, body, hmac_signature("hook-secret", body)).status_code
               for hook in (connection, other, other)]

    assert answers == [202, 202, 200]
    assert InboundEvent.objects.filter(connection=other).count() == 1


def test_a_resend_whose_first_delivery_was_deleted_meanwhile_is_stored(client, hooked, connection, monkeypatch):
    body = b"not json"
    post_hook(client, connection, body, hmac_signature("hook-secret", body), delivery="d-1")
    looked_up = webhooks._first_delivery

    def deleted_first(*args):  # say, from the admin, between the insert and the look-up
        InboundEvent.objects.all().delete()
        return looked_up(*args)

    monkeypatch.setattr(webhooks, "_first_delivery", deleted_first)
    again = post_hook(client, connection, body, hmac_signature("hook-secret", body), delivery="d-1")

    assert again.status_code == 400
    assert list(InboundEvent.objects.values_list("delivery_id", flat=True)) == ["d-1"]


@pytest.mark.django_db(transaction=True)
def test_a_new_delivery_is_stored_by_one_statement_after_the_connection_is_read(
    role_groups, client, hooked, connection, tracker
):
    # Its id and its body are checked by the insert itself, not by reads before it.
    body = json.dumps({"issue": tracker.only_issue().id}).encode()

    with CaptureQueriesContext(db) as seen:
        response = post_hook(client, connection, body, hmac_signature("hook-secret", body))

    assert response.status_code == 202
    first, second = (query["sql"] for query in seen.captured_queries[:2])
    assert first.startswith('SELECT "sync_connection".')
    assert second.lstrip().startswith('INSERT INTO "sync_inboundevent"')
    assert InboundEvent.objects.get().delivery_id == "d-1"


def test_the_sync_list_page_reads_a_fixed_number_of_queries(client, manager, tracker):
    client.force_login(manager)

    def count_for(n: int) -> int:
        for i in range(Connection.objects.count(), n):
            Connection.objects.create(name=f"c{i}", kind="fake", base_url="https://t.example", token="t", project="P")
        with CaptureQueriesContext(db) as ctx:
            assert client.get("/sync/").status_code == 200
        return len(ctx.captured_queries)

    assert count_for(2) == count_for(12)
