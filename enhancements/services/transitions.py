"""Product-management status of a request, as a state machine.

    new -> under_review -> planned (target release, an estimate) -> in_development -> delivered (release)
                           planned <- in_development (work paused), under_review <- planned (plan withdrawn)

From any open state (new, under_review, planned, in_development) a request may
also be declined (with a reason written for the help desk) or marked a
duplicate of another open request of the same product, whose tickets then roll
up into it. delivered, declined and duplicate are final.

Each move is audited on the request, and each linked ticket's agent hears of it
(one notification per ticket).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_changes, audit_record
from core.models import Notification
from core.notifications import notify
from core.words import count_of
from enhancements.hooks import request_changed
from enhancements.models import EnhancementRequest, TicketRequestLink
from enhancements.services.demand import request_refresh_demand
from enhancements.services.tickets import tickets_back_to_help_desk
from enhancements.services.twins import request_twins_moved

S = EnhancementRequest.Status


def _label(status: str) -> str:
    """A status as people read it ("Under review"), not as stored, for messages."""
    return S(status).label if status in S.values else repr(status)


MOVES: dict[str, tuple[str, ...]] = {
    S.NEW: (S.UNDER_REVIEW,),
    S.UNDER_REVIEW: (S.PLANNED,),
    S.PLANNED: (S.IN_DEVELOPMENT, S.UNDER_REVIEW),
    S.IN_DEVELOPMENT: (S.DELIVERED, S.PLANNED),
}
OUTCOMES = (S.DECLINED, S.DUPLICATE)


def allowed_transitions(request: EnhancementRequest) -> list[str]:
    """The statuses `request` may move to now, in a stable order."""
    allowed = list(MOVES.get(request.status, ()))
    if request.status in EnhancementRequest.OPEN_STATUSES:
        allowed.extend(OUTCOMES)
    return [str(s) for s in allowed]


def _release_of(request: EnhancementRequest, release, field: str, what: str):
    if release is None or release == "":
        raise ValidationError({field: f"Name the release {what}."})
    # The release model is reached through the foreign key: releases sits above this app.
    model = EnhancementRequest._meta.get_field("target_release").related_model
    if not isinstance(release, model):
        try:
            release = model.objects.get(pk=release)
        except (model.DoesNotExist, ValueError, TypeError):
            raise ValidationError({field: f"There is no release {release}."}) from None
    if release.product_id != request.product_id:
        raise ValidationError({field: f"{release.version} is a release of another product."})
    return release


def check_target_release(request: EnhancementRequest, release):
    """A planned target: a release of the request's product not shipped yet."""
    release = _release_of(request, release, "target_release", "the request is planned for")
    if release.released_at is not None:
        raise ValidationError({"target_release": f"{release.version} has shipped; plan for a coming release."})
    return release


def _check_duplicate_target(request: EnhancementRequest, duplicate_of) -> EnhancementRequest:
    if duplicate_of is None or duplicate_of == "":
        raise ValidationError({"duplicate_of": "Name the request this one duplicates."})
    if not isinstance(duplicate_of, EnhancementRequest):
        try:
            duplicate_of = EnhancementRequest.objects.get(pk=duplicate_of)
        except (EnhancementRequest.DoesNotExist, ValueError, TypeError):
            raise ValidationError({"duplicate_of": f"There is no request {duplicate_of}."}) from None
    if duplicate_of.pk == request.pk:
        raise ValidationError({"duplicate_of": "A request cannot duplicate itself."})
    if duplicate_of.product_id != request.product_id:
        raise ValidationError({"duplicate_of": f"{duplicate_of.key} is a request for another product."})
    if not duplicate_of.is_open:
        raise ValidationError(
            {"duplicate_of": f"{duplicate_of.key} is {duplicate_of.get_status_display().lower()}; "
             "choose the open request that carries the work."}
        )
    return duplicate_of


def _merge_into(*, request: EnhancementRequest, target: EnhancementRequest, actor, channel: str) -> None:
    """Move the duplicate's ticket links onto `target`; a ticket already there keeps its link."""
    links = list(TicketRequestLink.objects.filter(request=request).select_related("ticket"))
    already = set(
        TicketRequestLink.objects.filter(request=target, ticket_id__in=[link.ticket_id for link in links])
        .values_list("ticket_id", flat=True)
    )
    why = f"{request.key} is a duplicate of {target.key}"
    moved, dropped = [], []
    for link in links:
        (dropped if link.ticket_id in already else moved).append(link.pk)
        audit_record(
            obj=link.ticket, actor=actor, channel=channel, action="relinked", field="request",
            old=request.key, new=target.key, reason=why,
        )
    TicketRequestLink.objects.filter(pk__in=dropped).delete()
    TicketRequestLink.objects.filter(pk__in=moved).update(request=target)
    audit_record(
        obj=target, actor=actor, channel=channel, action="merged",
        new=f"{count_of(len(links), 'ticket')} from {request.key}", reason=why,
    )
    request_refresh_demand(request=request)
    request_refresh_demand(request=target)


def notify_ticket_agents(*, request: EnhancementRequest, actor) -> int:
    """Tell each linked ticket's agent the request's new status: one notification per ticket."""
    links = TicketRequestLink.objects.filter(request=request).select_related("ticket__assignee").order_by("id")
    note = request.help_desk_note
    sent = 0
    for link in links:
        ticket = link.ticket
        sent += len(notify(
            users=[ticket.assignee], kind=Notification.Kind.REQUEST_STATUS, actor=actor,
            message=f"{request.key} for {ticket.number}: {note}", url=f"/tickets/{ticket.pk}/",
        ))
    return sent


@transaction.atomic
def request_transition(
    *,
    request: EnhancementRequest,
    to: str,
    actor,
    channel: str,
    reason: str = "",
    target_release=None,
    release=None,
    duplicate_of=None,
) -> EnhancementRequest:
    """Move `request` to `to`, audited; its tickets' agents are told.

    Raises ValidationError {"to": "... allowed: a, b"} for a move the machine does
    not allow; {"reason"}, {"target_release"}, {"release"} or {"duplicate_of"}
    when what the move needs is missing or unsuitable. Permission checks belong
    to the caller. All or nothing; the given instance is refreshed and returned.
    """
    EnhancementRequest.objects.select_for_update().filter(pk=request.pk).exists()
    request.refresh_from_db()
    to = str(to or "")
    reason = (reason or "").strip()
    allowed = allowed_transitions(request)
    if to not in allowed:
        listed = ", ".join(_label(s) for s in allowed) if allowed else "none"
        raise ValidationError(
            {"to": f"{request.key} cannot move from {_label(request.status)} to {_label(to)}; allowed: {listed}."}
        )
    changes: dict[str, tuple] = {"status": (request.status, to)}
    fields = ["status", "status_changed_at", "updated_at"]
    target = None
    if to == S.PLANNED:
        # The target sent, or else the one an earlier plan kept: either must still be to come.
        sent = target_release not in (None, "")
        target_release = check_target_release(request, target_release if sent else request.target_release)
        if target_release != request.target_release:
            changes["target_release"] = (request.target_release, target_release)
            request.target_release = target_release
            fields.append("target_release")
    elif to == S.UNDER_REVIEW and request.target_release_id is not None:
        # The plan is withdrawn, and its release with it (the audit row keeps it): the ticket
        # must not go on naming a release for a request under review.
        changes["target_release"] = (request.target_release, None)
        request.target_release = None
        fields.append("target_release")
    elif to == S.DELIVERED:
        release = _release_of(request, release, "release", "that delivered it")
        changes["delivered_release"] = (request.delivered_release, release)
        request.delivered_release = release
        fields.append("delivered_release")
    elif to == S.DECLINED:
        if not reason:
            raise ValidationError({"reason": "Declining needs a reason, written for the help desk."})
        changes["decline_reason"] = (request.decline_reason, reason)
        request.decline_reason = reason
        fields.append("decline_reason")
    elif to == S.DUPLICATE:
        target = _check_duplicate_target(request, duplicate_of)
        changes["duplicate_of"] = (request.duplicate_of, target)
        request.duplicate_of = target
        fields.append("duplicate_of")
    request.status = to
    request.status_changed_at = timezone.now()
    request.save(update_fields=fields)
    audit_changes(obj=request, actor=actor, channel=channel, changes=changes, action="transition", reason=reason)
    request_twins_moved(request=request, channel=channel)
    if target is not None:
        # The agents hear of the request that now carries their tickets.
        _merge_into(request=request, target=target, actor=actor, channel=channel)
        request.refresh_from_db()
        notify_ticket_agents(request=target, actor=actor)
    else:
        if to in (S.DELIVERED, S.DECLINED):
            # The answer is in: the help desk tells the customer.
            tickets_back_to_help_desk(request=request, actor=actor, channel=channel)
        notify_ticket_agents(request=request, actor=actor)
    request_changed.send(request=target if target is not None else request, actor=actor, channel=channel)
    return request


@transaction.atomic
def request_retarget(*, request: EnhancementRequest, target_release, actor, channel: str) -> EnhancementRequest:
    """Move a planned (or in-development) request's estimate to another coming release; agents are told."""
    request = EnhancementRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in (S.PLANNED, S.IN_DEVELOPMENT):
        raise ValidationError(
            {"target_release": f"{request.key} is {request.get_status_display().lower()}; plan it first."}
        )
    release = check_target_release(request, target_release)
    if release.pk == request.target_release_id:
        return request
    audit_changes(
        obj=request, actor=actor, channel=channel, changes={"target_release": (request.target_release, release)}
    )
    request.target_release = release
    request.save(update_fields=["target_release", "updated_at"])
    notify_ticket_agents(request=request, actor=actor)
    request_changed.send(request=request, actor=actor, channel=channel)
    return request
