"""Enhancement requests in the product team's tracker, through the engine and the in-memory tracker."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry, Channel
from defects.models import Team
from enhancements.models import EnhancementRequest, RequestComment
from enhancements.services.comments import request_comment_add
from enhancements.services.conversion import defect_convert_to_request
from enhancements.services.requests import request_update
from enhancements.services.tracker import request_send_to_tracker
from enhancements.services.transitions import request_transition
from releases.models import Release
from sync import hooks
from sync.config import DEFAULT_REQUEST_TYPES, REQUEST_STATUSES, build_config
from sync.connectors.base import ConnectorError
from sync.models import Connection, ExternalIssue, FieldSource, OutboxItem, SyncConflict, SyncLedger
from sync.services.connections import connection_create
from sync.services.pull import connection_poll
from sync.services.push import outbox_claim_next, outbox_drain
from tests.factories import escalate, request_from

pytestmark = pytest.mark.django_db

Status = OutboxItem.Status
R = EnhancementRequest.Status
CHANNEL = Channel.tracker("fake-tracker")


def sent(ticket, agent) -> EnhancementRequest:
    """A request whose issue has reached the product team's tracker."""
    request = request_from(ticket, agent)
    outbox_drain()
    return request


def planned(request, product_manager, release) -> EnhancementRequest:
    for to, extra in (("under_review", {}), ("planned", {"target_release": release})):
        request = request_transition(request=request, to=to, actor=product_manager, channel=Channel.WEB, **extra)
    outbox_drain()
    return request


# ------------------------------------------------------------------ pushing a request


def test_a_request_of_a_product_team_with_a_tracker_is_created_there_with_its_problem_and_status(
    product_connection, tracker, ticket, agent
):
    request = request_from(ticket, agent, workaround="They add the VAT up by hand.")
    # Written with the request itself, before any push.
    assert list(OutboxItem.objects.values_list("request_id", "defect_id", "kind")) == [(request.pk, None, "create")]

    outbox_drain()

    issue = tracker.only_issue()
    assert issue.portal_key == request.key
    assert issue.fields["title"] == "Export includes VAT per line"
    assert issue.fields["description"] == (
        "Our accountants need the VAT of each invoice line in the export.\n\n"
        "Workaround today:\nThey add the VAT up by hand."
    )
    assert issue.fields["status"] == "Open"
    (push,) = tracker.pushes
    assert push.subject == "request" and push.defect_url.endswith(f"/requests/{request.pk}/")
    twin = ExternalIssue.objects.get(request=request)
    assert twin.defect_id is None and (twin.key, twin.url) == (f"FAKE-{issue.id}", f"https://tracker.example/{issue.id}")


def test_a_request_whose_product_team_has_no_tracker_waits_to_be_sent_by_hand(
    connection, product_team, tracker, ticket, agent, product_manager
):
    request = request_from(ticket, agent)
    assert not OutboxItem.objects.exists()

    request_send_to_tracker(request=request, connection=connection, actor=product_manager, channel=Channel.WEB)
    outbox_drain()

    assert tracker.only_issue().portal_key == request.key
    assert ExternalIssue.objects.get(request=request).connection == connection
    assert AuditEntry.objects.filter(object_id=request.pk, action="sent", new=connection.name).exists()
    with pytest.raises(ValidationError) as caught:
        request_send_to_tracker(request=request, connection=connection, actor=product_manager, channel=Channel.WEB)
    assert caught.value.message_dict == {"connection": [f"{request.key} is already in fake-tracker as FAKE-1."]}


def test_sending_refuses_a_request_on_its_way_a_closed_request_and_a_switched_off_tracker(
    connection, product_team, tracker, make_ticket, agent, product_manager
):
    request = request_from(make_ticket(), agent)
    request_send_to_tracker(request=request, connection=connection, actor=product_manager, channel=Channel.WEB)
    with pytest.raises(ValidationError, match="on its way"):
        request_send_to_tracker(request=request, connection=connection, actor=product_manager, channel=Channel.WEB)
    declined = request_from(make_ticket(), agent)
    request_transition(request=declined, to="declined", actor=product_manager, channel=Channel.WEB, reason="No.")
    with pytest.raises(ValidationError, match="only an open request"):
        request_send_to_tracker(request=declined, connection=connection, actor=product_manager, channel=Channel.WEB)
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    connection.refresh_from_db()
    other = request_from(make_ticket(), agent)
    with pytest.raises(ValidationError, match="switched off"):
        request_send_to_tracker(request=other, connection=connection, actor=product_manager, channel=Channel.WEB)
    assert OutboxItem.objects.count() == 1


def test_a_request_that_cannot_be_sent_from_the_ticket_leaves_no_outbox_row(product_connection, ticket, agent):
    with pytest.raises(ValidationError):
        request_from(ticket, agent, title="", importance="urgent")
    assert not OutboxItem.objects.exists() and not EnhancementRequest.objects.exists()


def test_edits_moves_and_comments_reach_the_twin_in_order(
    product_connection, tracker, ticket, agent, product_manager, release
):
    request = sent(ticket, agent)
    request_update(request=request, actor=product_manager, channel=Channel.WEB, title="VAT per invoice line",
                   workaround="None")
    request_transition(request=request, to="under_review", actor=product_manager, channel=Channel.WEB)
    request_comment_add(request=request, author=product_manager, body="On the Q3 shortlist.", channel=Channel.WEB)

    outbox_drain()

    assert [c.kind for c in tracker.pushes] == ["create", "fields", "status", "comment"]
    issue = tracker.only_issue()
    assert issue.fields["title"] == "VAT per invoice line"
    assert issue.fields["description"].endswith("Workaround today:\nNone")
    (comment,) = issue.comments
    assert comment.body.startswith("On the Q3 shortlist.\n\n-- pia-pm, in Handoff")
    twin = ExternalIssue.objects.get(request=request)
    source = FieldSource.objects.get(twin=twin, field="title")
    assert (source.side, source.actor, source.channel) == ("portal", "pia-pm", Channel.WEB)


def test_converting_a_defect_into_a_request_creates_the_request_in_its_product_teams_tracker(
    product_connection, tracker, ticket, agent, engineer
):
    Team.objects.filter(pk=product_connection.teams.get(kind=Team.Kind.ENGINEERING).pk).update(connection=None)
    defect = escalate(ticket, agent, title="Dark mode", description="The app is too bright at night.")

    request = defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="A wish.")
    outbox_drain()

    assert tracker.only_issue().portal_key == request.key
    assert ExternalIssue.objects.get(request=request).connection == product_connection


def test_rows_of_a_request_wait_behind_its_earlier_rows_only(
    product_connection, tracker, make_ticket, agent, product_manager
):
    request = request_from(make_ticket(), agent)
    request_transition(request=request, to="under_review", actor=product_manager, channel=Channel.WEB)
    defect = escalate(make_ticket(), agent)
    tracker.fail_next(ConnectorError("Tracker answered 503", retry_after=120))

    outbox_drain()  # the request's create backs off; its status waits; the defect goes on

    rows = {(row.request_id, row.defect_id, row.kind): row.status for row in OutboxItem.objects.all()}
    assert rows == {
        (request.pk, None, "create"): Status.PENDING, (request.pk, None, "status"): Status.PENDING,
        (None, defect.pk, "create"): Status.DONE,
    }
    OutboxItem.objects.update(next_attempt_at=timezone.now())
    assert outbox_claim_next().kind == "create"


# ------------------------------------------------------------------ what comes back


def test_a_status_set_in_the_tracker_walks_a_planned_request_into_development_audited_as_the_tracker(
    product_connection, tracker, ticket, agent, product_manager, release
):
    request = planned(sent(ticket, agent), product_manager, release)
    tracker.edit(tracker.only_issue().id, status="Doing")

    connection_poll(connection=product_connection)

    request.refresh_from_db()
    assert request.status == R.IN_DEVELOPMENT
    moved = AuditEntry.objects.get(object_id=request.pk, field="status", new=R.IN_DEVELOPMENT)
    assert (moved.channel, moved.actor, moved.reason) == (CHANNEL, None, "Set to Doing in fake-tracker.")
    # Not sent back to the tracker it came from.
    assert not OutboxItem.objects.filter(kind="status", status=Status.PENDING).exists()
    source = FieldSource.objects.get(twin__request=request, field="status")
    assert (source.side, source.value, source.channel) == ("tracker", "Doing", "poll")


def test_a_move_the_request_machine_refuses_changes_nothing_and_is_recorded_and_audited(
    product_connection, tracker, ticket, agent
):
    request = sent(ticket, agent)  # new, with no target release
    tracker.edit(tracker.only_issue().id, status="Doing")

    connection_poll(connection=product_connection)

    request.refresh_from_db()
    assert request.status == R.NEW
    assert not AuditEntry.objects.filter(object_id=request.pk, action="transition").exists()
    conflict = SyncConflict.objects.get(request=request)
    assert (conflict.field, conflict.winner, conflict.tracker_value) == ("status", "portal", "Doing")
    assert "has no target release" in conflict.note
    refused = AuditEntry.objects.get(object_id=request.pk, action="refused")
    assert (refused.channel, refused.old, refused.new) == (CHANNEL, R.NEW, R.IN_DEVELOPMENT)


def test_a_final_status_is_not_left_from_the_tracker(product_connection, tracker, ticket, agent, product_manager):
    request = sent(ticket, agent)
    request_transition(request=request, to="declined", actor=product_manager, channel=Channel.WEB,
                       reason="Out of scope for this product.")
    outbox_drain()
    tracker.edit(tracker.only_issue().id, status="Doing")

    connection_poll(connection=product_connection)

    request.refresh_from_db()
    assert request.status == R.DECLINED
    assert "cannot move from Declined to In development; allowed: none" in SyncConflict.objects.get().note


def test_a_tracker_that_rejects_the_request_declines_it_with_a_reason_for_the_help_desk(
    product_connection, tracker, ticket, agent
):
    request = sent(ticket, agent)
    tracker.edit(tracker.only_issue().id, status="Rejected")

    connection_poll(connection=product_connection)

    request.refresh_from_db()
    assert request.status == R.DECLINED  # not duplicate, which needs the other request
    assert request.help_desk_note == "Declined: Set to Rejected in fake-tracker."


def test_delivered_from_the_tracker_takes_the_shipped_target_release_only(
    product_connection, tracker, ticket, agent, product_manager, release, engineer
):
    request = planned(sent(ticket, agent), product_manager, release)
    request_transition(request=request, to="in_development", actor=product_manager, channel=Channel.WEB)
    outbox_drain()
    tracker.edit(tracker.only_issue().id, status="Done")
    connection_poll(connection=product_connection)
    request.refresh_from_db()
    assert request.status == R.IN_DEVELOPMENT
    assert "no shipped target release" in SyncConflict.objects.get().note

    # Once the release has shipped, the next time the tracker says so it is taken.
    Release.objects.filter(pk=release.pk).update(released_at=timezone.now())
    tracker.edit(tracker.only_issue().id, status="Doing")
    connection_poll(connection=product_connection)
    tracker.edit(tracker.only_issue().id, status="Done")
    connection_poll(connection=product_connection)

    request.refresh_from_db()
    assert (request.status, request.delivered_release) == (R.DELIVERED, release)


def test_our_own_status_push_coming_back_changes_nothing(
    product_connection, tracker, ticket, agent, product_manager, release
):
    request = planned(sent(ticket, agent), product_manager, release)
    request_transition(request=request, to="in_development", actor=product_manager, channel=Channel.WEB)
    outbox_drain()
    before = AuditEntry.objects.count()

    connection_poll(connection=product_connection)

    assert AuditEntry.objects.count() == before
    assert not SyncConflict.objects.exists()


def test_comments_cross_both_ways_once(product_connection, tracker, ticket, agent, product_manager):
    request = sent(ticket, agent)
    issue_id = tracker.only_issue().id
    tracker.comment(issue_id, "Engineering estimates two sprints.", author="Rita Redminer")
    request_comment_add(request=request, author=product_manager, body="Thanks, noted.", channel=Channel.WEB)
    outbox_drain()

    connection_poll(connection=product_connection)
    connection_poll(connection=product_connection)

    bodies = list(RequestComment.objects.filter(request=request).values_list("body", flat=True))
    assert bodies == ["Thanks, noted.", "Engineering estimates two sprints.\n\n-- Rita Redminer, in fake-tracker"]
    assert len(tracker.only_issue().comments) == 2  # the tracker's, and ours once
    # The tracker's comment is not sent back to it.
    assert OutboxItem.objects.filter(kind="comment").count() == 1
    ledger = SyncLedger.objects.get(direction="in")
    assert ledger.thread == "request" and ledger.comment_id == RequestComment.objects.get(author=None).pk


def test_a_request_comment_and_a_defect_comment_with_the_same_id_are_two_ledger_rows(product_connection):
    for thread in ("defect", "request"):
        SyncLedger.objects.create(connection=product_connection, direction="out", thread=thread, comment_id=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncLedger.objects.create(connection=product_connection, direction="out", thread="request", comment_id=7)


def test_an_issue_twins_a_defect_or_a_request_never_both_nor_neither(product_connection, ticket, agent):
    request = request_from(ticket, agent)
    defect = escalate(ticket, agent, title="Export crashes")
    for subject in ({"defect": defect, "request": request}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ExternalIssue.objects.create(connection=product_connection, external_id="9", key="FAKE-9",
                                         url="https://tracker.example/9", **subject)


# ------------------------------------------------------------------ settings and wiring


def test_the_request_statuses_sync_maps_are_the_requests_own():
    assert REQUEST_STATUSES == tuple(EnhancementRequest.Status.values)


def test_every_kind_maps_every_request_status_and_types_requests_by_default():
    for kind, default in DEFAULT_REQUEST_TYPES.items():
        config = build_config(kind=kind, status_map={}, priority_map={}, version_map={})
        assert set(config.request_status_map) == set(REQUEST_STATUSES)
        assert config.request_type == default
    assert DEFAULT_REQUEST_TYPES == {"jira": "Story", "github": "enhancement", "gitlab": "enhancement",
                                     "redmine": "Feature"}


def test_a_connections_request_map_and_type_are_validated_by_field(manager):
    with pytest.raises(ValidationError) as caught:
        connection_create(actor=manager, channel=Channel.API, name="GH", kind="github",
                          base_url="http://127.0.0.1:9/", token="t", project="acme/billing",
                          request_status_map={"shipped": "done", "planned": ""}, request_type="status: wish")
    errors = caught.value.message_dict
    assert set(errors) == {"request_status_map", "request_type"}
    assert any("'shipped' is not one of" in e for e in errors["request_status_map"])
    made = connection_create(actor=manager, channel=Channel.API, name="Jira", kind="jira",
                             base_url="http://127.0.0.1:9/", token="t", project="HD",
                             request_type=" Feature request ", request_status_map={"planned": "Selected"})
    assert made.request_type == "Feature request"


def test_the_enhancements_app_fills_every_sync_slot_with_a_fitting_implementation():
    for slot in hooks.ALL:
        assert slot.filled, slot
        slot.check()


def test_a_manager_sets_how_requests_are_typed_and_maps_their_statuses_in_the_portal(client, manager):
    connection = connection_create(actor=manager, channel=Channel.API, name="Jira", kind="jira",
                                   base_url="http://127.0.0.1:9/", token="t", project="HD")
    client.force_login(manager)
    assert b"sent as Story" in client.get(f"/sync/{connection.pk}/").content

    client.post(f"/sync/{connection.pk}/edit/", {
        "name": "Jira", "kind": "jira", "base_url": "http://127.0.0.1:9/", "project": "HD",
        "request_type": "Feature request",
    })
    form = client.get(f"/sync/{connection.pk}/maps/request-status/").context["form"]
    values = {name: field.initial for name, field in form.fields.items()}
    assert values["in_development"] == "In Progress"
    client.post(f"/sync/{connection.pk}/maps/request-status/", {**values, "planned": "Selected for Development"})

    connection.refresh_from_db()
    assert connection.request_type == "Feature request"
    assert connection.request_status_map == {"planned": "Selected for Development"}
    assert b"sent as Feature request" in client.get(f"/sync/{connection.pk}/").content
