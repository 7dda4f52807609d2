"""Signed deliveries sent again, stale events, and oversized or malformed deliveries, over HTTP."""

import hashlib
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Channel
from defects.models import Comment
from defects.services.changes import defect_update
from sync.connectors.github import GitHubConnector
from sync.models import InboundEvent
from sync.services.push import outbox_drain
from tests.factories import hmac_signature, synced_defect
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


def signed(body: bytes, delivery: str = "d-1") -> dict[str, str]:
    return {"X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": hmac_signature(WEBHOOK_SECRET, body)}


@pytest.fixture
def synced(github, github_connection, escalate, ticket):
    return synced_defect(escalate, ticket)


def test_a_captured_body_sent_again_under_a_new_delivery_id_is_answered_as_a_duplicate_and_not_stored(
    github, github_connection, synced, deliver
):
    comment = github.comment_as(1, "Fixed in main.")
    body, headers = github.webhook("issue_comment", 1, action="created", comment=comment, secret=WEBHOOK_SECRET)

    first = deliver(github_connection, body, headers)
    again = deliver(github_connection, body, {**headers, "X-GitHub-Delivery": str(uuid.uuid4())})

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"delivery": headers["X-GitHub-Delivery"], "duplicate": True}
    event = InboundEvent.objects.get()
    assert event.body_sha256 == hashlib.sha256(body).hexdigest()
    assert Comment.objects.filter(defect=synced).count() == 1


def test_an_event_older_than_what_the_link_holds_changes_no_field(github, github_connection, synced, deliver):
    github.set(1, labels=["severity: S1", "status: new"])
    old = github.webhook("issues", 1, action="labeled", secret=WEBHOOK_SECRET)  # captured, not delivered yet
    github.set(1, labels=["severity: S3", "status: new"])
    deliver(github_connection, *github.webhook("issues", 1, action="labeled", secret=WEBHOOK_SECRET))
    synced.refresh_from_db()
    assert synced.severity == "S3"

    late = deliver(github_connection, *old)

    assert late.status_code == 202
    synced.refresh_from_db()
    assert synced.severity == "S3"


def test_a_body_seen_before_the_redelivery_window_is_stored_but_changes_nothing_again(
    github, github_connection, synced, deliver
):
    github.set(1, labels=["severity: S1", "status: new"])
    body, headers = github.webhook("issues", 1, action="labeled", secret=WEBHOOK_SECRET)
    deliver(github_connection, body, headers)
    synced.refresh_from_db()
    assert synced.severity == "S1"
    # Changed in the portal since, and pushed: the link now holds S3 as agreed.
    defect_update(defect=synced, actor=None, channel=Channel.WEB, severity="S3", severity_reason="Re-assessed.")
    outbox_drain()
    assert github.only_issue()["labels"] == ["status: new", "severity: S3"]
    long_ago = timezone.now() - GitHubConnector.redelivery_window - timedelta(hours=1)
    InboundEvent.objects.update(received_at=long_ago)

    replay = deliver(github_connection, body, {**headers, "X-GitHub-Delivery": "replayed-much-later"})

    assert replay.status_code == 202
    assert InboundEvent.objects.get(delivery_id="replayed-much-later").status == InboundEvent.Status.DONE
    synced.refresh_from_db()
    assert synced.severity == "S3"


def test_a_body_larger_than_the_limit_is_refused_with_413_and_nothing_is_stored(
    github_connection, client, settings
):
    settings.HANDOFF_WEBHOOK_MAX_BYTES = 2048
    body = b'{"action": "opened", "pad": "' + b"x" * 3000 + b'"}'

    response = client.post(f"/hooks/{github_connection.pk}/", data=body, content_type="application/json",
                           headers=signed(body))

    assert response.status_code == 413
    assert "2048 bytes" in response.json()["detail"]
    assert not InboundEvent.objects.exists()


def test_the_declared_content_length_is_refused_before_the_body_is_read(github_connection, client):
    body = b'{"action": "opened"}'
    # The stream holds a few bytes but claims two mebibytes: reading it would fail.
    response = client.generic("POST", f"/hooks/{github_connection.pk}/", data=body,
                              content_type="application/json", CONTENT_LENGTH=str(2 * 1024 * 1024),
                              headers=signed(body))

    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_a_delivery_id_longer_than_the_field_is_refused_instead_of_cut(github, github_connection, synced, deliver):
    body, headers = github.webhook("issues", 1, action="edited", secret=WEBHOOK_SECRET, delivery="d" * 201)

    response = deliver(github_connection, body, headers)

    assert response.status_code == 400
    assert "longer than 200" in response.json()["detail"]
    assert not InboundEvent.objects.exists()
