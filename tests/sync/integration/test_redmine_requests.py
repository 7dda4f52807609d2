"""Enhancement requests in a real Redmine: a Feature issue, its status and notes coming back."""

import pytest
from django.utils import timezone

from core.models import Channel
from enhancements.models import EnhancementRequest, RequestComment
from enhancements.services.comments import request_comment_add
from enhancements.services.transitions import request_transition
from sync.models import Connection, ExternalIssue, SyncConflict
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests.factories import connect, request_from

pytestmark = pytest.mark.integration

R = EnhancementRequest.Status


@pytest.fixture(autouse=True)
def _in_process(monkeypatch):
    # No worker here: pushes and polls run in-process.
    from handoff.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)


@pytest.fixture
def product_redmine(redmine, redmine_project, product_team) -> Connection:
    return connect(
        product_team, name="Redmine PM", kind="redmine", base_url=redmine.url, token=redmine.key,
        project=redmine_project,
    )


def planned_request(ticket, agent, product_manager, release) -> EnhancementRequest:
    request = request_from(ticket, agent)
    request_transition(request=request, to="under_review", actor=product_manager, channel=Channel.WEB)
    return request_transition(request=request, to="planned", actor=product_manager, channel=Channel.WEB,
                              target_release=release)


def test_a_request_becomes_a_redmine_feature_whose_status_and_notes_come_back_once(
    redmine, product_redmine, ticket, agent, product_manager, release
):
    request = planned_request(ticket, agent, product_manager, release)
    outbox_drain()

    twin = ExternalIssue.objects.get(request=request)
    issue = redmine.issue(twin.external_id)
    assert issue["tracker"]["name"] == "Feature"
    assert issue["subject"] == request.title and issue["status"]["name"] == "New"
    assert {f["name"]: f["value"] for f in issue["custom_fields"]}["External Ticket ID"] == request.key
    assert f"Handoff request: {request.key} http" in issue["description"]
    assert twin.url == f"{redmine.url}/issues/{issue['id']}"

    # Redmine -> portal: the work starts there, with a note.
    redmine.call("PUT", f"/issues/{issue['id']}.json", json={"issue": {
        "status_id": redmine.status_id("In Progress"), "notes": "Started on the export.",
    }})
    connection_poll(connection=product_redmine)
    request.refresh_from_db()
    assert request.status == R.IN_DEVELOPMENT
    (theirs,) = RequestComment.objects.filter(request=request)
    assert theirs.body.startswith("Started on the export.") and theirs.author is None

    # Portal -> Redmine: a comment, once, and not read back as Redmine's.
    request_comment_add(request=request, author=product_manager, body="Customers are waiting.", channel=Channel.WEB)
    outbox_drain()
    connection_poll(connection=product_redmine)
    connection_poll(connection=product_redmine)
    notes = redmine.notes(issue["id"])
    assert sum("Customers are waiting." in note for note in notes) == 1
    assert RequestComment.objects.filter(request=request).count() == 2

    # A move the request's machine refuses (delivered, with its release not shipped) changes nothing.
    redmine.call("PUT", f"/issues/{issue['id']}.json", json={"issue": {"status_id": redmine.status_id("Closed")}})
    connection_poll(connection=product_redmine)
    request.refresh_from_db()
    assert request.status == R.IN_DEVELOPMENT
    assert "no shipped target release" in SyncConflict.objects.get(request=request).note

    # Reopened there; once the release has shipped, delivering it in Handoff closes the Feature again.
    redmine.call("PUT", f"/issues/{issue['id']}.json", json={"issue": {"status_id": redmine.status_id("In Progress")}})
    connection_poll(connection=product_redmine)
    release.released_at = timezone.now()
    release.save(update_fields=["released_at"])
    request_transition(request=request, to="delivered", actor=product_manager, channel=Channel.WEB, release=release)
    outbox_drain()
    assert redmine.issue(issue["id"])["status"]["name"] == "Closed"


def test_the_request_tracker_may_be_named_by_its_redmine_id(redmine, product_redmine, ticket, agent):
    trackers = redmine.call("GET", "/trackers.json").json()["trackers"]
    support = next(t for t in trackers if t["name"] == "Support")
    Connection.objects.filter(pk=product_redmine.pk).update(request_type=str(support["id"]))
    request = request_from(ticket, agent)

    outbox_drain()

    issue = redmine.issue(ExternalIssue.objects.get(request=request).external_id)
    assert issue["tracker"]["name"] == "Support"
