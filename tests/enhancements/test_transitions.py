"""The request's status machine, its duplicates, and the agents it tells."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry, Notification
from enhancements.models import TicketRequestLink
from enhancements.services.transitions import allowed_transitions, request_retarget, request_transition
from releases.models import Release
from tests.factories import request_from


def move(request, to, actor, **kwargs):
    return request_transition(request=request, to=to, actor=actor, channel="web", **kwargs)


@pytest.fixture
def assigned(make_ticket, agent):
    return make_ticket(assignee=agent)


def test_the_whole_road_from_new_to_delivered(assigned, agent, product_manager, release):
    request = request_from(assigned, agent)
    move(request, "under_review", product_manager)
    move(request, "planned", product_manager, target_release=release.pk)
    assert request.help_desk_note == "Planned for 2.4.0 (estimate, not a promise)"
    move(request, "in_development", product_manager)
    move(request, "delivered", product_manager, release=release)
    assert request.help_desk_note == "Delivered in 2.4.0"
    statuses = list(
        AuditEntry.objects.filter(object_id=request.pk, action="transition", field="status")
        .order_by("id").values_list("new", flat=True)
    )
    assert statuses == ["under_review", "planned", "in_development", "delivered"]
    # One notification per move, to the ticket's agent.
    assert Notification.objects.filter(user=agent, kind="request_status").count() == 4


def test_a_move_off_the_machine_names_the_allowed_ones(ticket, agent, product_manager):
    request = request_from(ticket, agent)
    with pytest.raises(ValidationError) as caught:
        move(request, "delivered", product_manager)
    assert caught.value.message_dict["to"] == [
        f"{request.key} cannot move from New to Delivered; allowed: Under review, Declined, Duplicate."
    ]


def test_planning_needs_a_coming_release_of_the_product(ticket, agent, product_manager, release):
    request = request_from(ticket, agent)
    move(request, "under_review", product_manager)
    with pytest.raises(ValidationError) as caught:
        move(request, "planned", product_manager)
    assert "target_release" in caught.value.message_dict
    other = Release.objects.create(product=type(release.product).objects.create(name="X", code="x"), version="1.0")
    with pytest.raises(ValidationError):
        move(request, "planned", product_manager, target_release=other)
    request.refresh_from_db()
    assert request.status == "under_review"


def test_declining_needs_a_reason_shown_to_the_help_desk(assigned, agent, product_manager):
    request = request_from(assigned, agent)
    with pytest.raises(ValidationError) as caught:
        move(request, "declined", product_manager)
    assert "reason" in caught.value.message_dict
    move(request, "declined", product_manager, reason="Out of scope for Billing")
    assert request.help_desk_note == "Declined: Out of scope for Billing"
    assert allowed_transitions(request) == []
    assert Notification.objects.get(user=agent).message.endswith("Declined: Out of scope for Billing")


def test_a_duplicates_tickets_roll_up_into_the_other(make_ticket, agent, other_customer, product_manager):
    kept = request_from(make_ticket(), agent)
    dup = request_from(make_ticket(customer=other_customer), agent, title="VAT on lines")
    move(dup, "duplicate", product_manager, duplicate_of=kept.pk)
    kept.refresh_from_db()
    assert (kept.customer_count, kept.ticket_count) == (2, 2)
    assert dup.ticket_count == 0 and dup.duplicate_of == kept
    assert TicketRequestLink.objects.filter(request=kept).count() == 2


def test_a_request_cannot_duplicate_itself(ticket, agent, product_manager):
    request = request_from(ticket, agent)
    with pytest.raises(ValidationError) as caught:
        move(request, "duplicate", product_manager, duplicate_of=request.pk)
    assert "duplicate_of" in caught.value.message_dict


def test_a_plan_moves_to_another_release(assigned, agent, product_manager, release, product):
    later = Release.objects.create(product=product, version="2.5.0")
    request = request_from(assigned, agent)
    move(request, "under_review", product_manager)
    move(request, "planned", product_manager, target_release=release)
    request_retarget(request=request, target_release=later, actor=product_manager, channel="web")
    request.refresh_from_db()
    assert request.target_release == later


def test_a_withdrawn_plan_drops_its_release_and_planning_again_needs_one_still_to_come(
    assigned, agent, product_manager, release, product
):
    later = Release.objects.create(product=product, version="2.5.0")
    request = request_from(assigned, agent)
    move(request, "under_review", product_manager)
    move(request, "planned", product_manager, target_release=release.pk)

    request = move(request, "under_review", product_manager)
    assert request.target_release is None
    assert AuditEntry.objects.filter(object_id=request.pk, field="target_release", old="2.4.0", new="").exists()
    Release.objects.filter(pk=release.pk).update(status=Release.Status.RELEASED, released_at="2026-12-01T10:00:00Z")

    with pytest.raises(ValidationError) as refused:
        move(request, "planned", product_manager)  # no target: none is kept to fall back on
    assert "target_release" in refused.value.message_dict
    assert move(request, "planned", product_manager, target_release=later.pk).target_release == later


def test_planning_again_without_a_target_refuses_a_kept_one_that_has_shipped(
    assigned, agent, product_manager, release, product
):
    request = request_from(assigned, agent)
    move(request, "under_review", product_manager)
    move(request, "planned", product_manager, target_release=release.pk)
    move(request, "in_development", product_manager)
    Release.objects.filter(pk=release.pk).update(status=Release.Status.RELEASED, released_at="2026-12-01T10:00:00Z")

    with pytest.raises(ValidationError) as refused:
        move(request, "planned", product_manager)

    assert "has shipped" in refused.value.message_dict["target_release"][0]
