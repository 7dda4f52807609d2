"""Converting a defect into an enhancement request and a request into a defect, in one step with a reason.

What moves to the new record: its ticket links (each audited on its ticket),
its shared comments (with their authors and times), its attachments, and a
copy of its history (the old record keeps its own rows). Both records get a
row naming the other ("converted to ENH-7" on the old one, "converted from
DEF-5" on the new one), and a Conversion row remembers the pair, so the old
key's page and API detail lead to the new record.

The old record is closed as `converted`, a final status. A defect's tracker
twin stays linked to the old defect and is left alone: no status push, no new
issue, no comment is sent for the conversion (the engineers closed the work in
Handoff; the tracker hears nothing twice), and a change the tracker makes to
it later is refused because `converted` is final. Internal comments of either
side stay on the old defect: a request's thread is read by every role.

A request turned into a defect starts syncing as any new defect does: routed
to a team with a tracker connection, it is created there (once). Likewise a
defect turned into a request is created in its product team's tracker, and
the old request's twin is left alone as the old defect's is.
"""

import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_changes, audit_record
from core.models import AuditEntry, Notification
from core.notifications import notify
from defects.models import Attachment, Comment, Defect, TicketDefectLink
from defects.services.changes import notify_routed
from defects.services.comments import author_side
from defects.services.links import defect_refresh_impact
from defects.services.routing import defect_route
from defects.severity import Impact, Urgency, compute_severity
from enhancements.models import Conversion, EnhancementRequest, RequestComment, TicketRequestLink
from enhancements.services.demand import request_refresh_demand
from enhancements.services.requests import open_request_of, request_key, route_product_team
from enhancements.services.tickets import ticket_awaits_product
from enhancements.services.twins import request_twins_created
from sync.outbox import outbox_enqueue
from tickets.models import Ticket
from tickets.services.escalation import defect_key, open_defect_of
from tickets.services.tickets import ticket_set_status

MAX_REASON = 2_000


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why it is converted; the help desk and the other team read it."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"At most {MAX_REASON} characters."})
    return reason


def _copy_history(*, source, target) -> int:
    """Copy `source`'s audit rows onto `target` (same who, what and when); the source keeps its own."""
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(source), object_id=source.pk
    ).order_by("at", "id")
    ct = ContentType.objects.get_for_model(target)
    copies = [
        AuditEntry(
            at=row.at, actor_id=row.actor_id, channel=row.channel, content_type=ct, object_id=target.pk,
            object_repr=str(target)[:200], action=row.action, field=row.field, old=row.old, new=row.new,
            reason=row.reason or f"(on {source.key})",
        )
        for row in rows
    ]
    return len(AuditEntry.objects.bulk_create(copies))


def _mark_both(*, old, new, actor, channel: str, reason: str) -> None:
    audit_record(obj=old, actor=actor, channel=channel, action="converted", new=f"converted to {new.key}",
                 reason=reason)
    audit_record(obj=new, actor=actor, channel=channel, action="converted", new=f"converted from {old.key}",
                 reason=reason)


@transaction.atomic
def defect_convert_to_request(
    *, defect: Defect, actor, channel: str, reason: str, importance: str = TicketRequestLink.Importance.IMPORTANT
) -> EnhancementRequest:
    """Turn an open defect into a new request (ENH-n) with its tickets, shared comments, attachments, history.

    `importance` is how much the request matters to each linked ticket's
    customer (product management can change the links later). A ticket that
    already asks for another open request keeps that one. The defect is closed
    as `converted`; its tracker twin is left alone (see the module docstring).
    Raises ValidationError for a missing reason or a defect that is not open.
    Permission checks belong to the caller.
    """
    reason = _check_reason(reason)
    if importance not in TicketRequestLink.Importance.values:
        raise ValidationError({"importance": f"{importance!r} is not an importance."})
    defect = Defect.objects.select_for_update(of=("self",)).select_related("product", "component").get(pk=defect.pk)
    if not defect.is_open:
        raise ValidationError(
            {"defect": f"{defect.key} is {defect.get_status_display().lower()}; only an open defect can become "
             "a request."}
        )
    request = EnhancementRequest(
        key=f"tmp-{uuid.uuid4().hex[:16]}", title=defect.title, problem=defect.description.strip() or defect.title,
        workaround="", product_id=defect.product_id, component=defect.component, created_by=actor,
    )
    request.team = route_product_team(product=defect.product, component=defect.component, title=defect.title)
    request.save()
    request.key = request_key(request.pk)
    EnhancementRequest.objects.filter(pk=request.pk).update(key=request.key)
    _copy_history(source=defect, target=request)

    links = list(TicketDefectLink.objects.filter(defect=defect).select_related("ticket").order_by("linked_at", "id"))
    waiting = []
    for link in links:
        ticket = Ticket.objects.select_for_update().get(pk=link.ticket_id)
        kept = open_request_of(ticket)
        audit_record(
            obj=ticket, actor=actor, channel=channel, action="relinked", field="defect", old=defect.key,
            new=kept.key if kept else request.key,
            reason=f"{defect.key} converted to {request.key}: {reason}"
            + (f" (the ticket keeps its request {kept.key})" if kept else ""),
        )
        if kept is not None:
            continue
        new_link = TicketRequestLink.objects.create(
            ticket=ticket, request=request, customer_id=ticket.customer_id, importance=importance,
            linked_by=link.linked_by,
        )
        # The customer asked when the ticket was first escalated, not today.
        TicketRequestLink.objects.filter(pk=new_link.pk).update(linked_at=link.linked_at)
        waiting.append(ticket)
    TicketDefectLink.objects.filter(pk__in=[link.pk for link in links]).delete()

    shared = list(Comment.objects.filter(defect=defect, visibility=Comment.Visibility.SHARED).order_by("created_at"))
    for comment in shared:
        moved = RequestComment.objects.create(request=request, author_id=comment.author_id, body=comment.body)
        RequestComment.objects.filter(pk=moved.pk).update(created_at=comment.created_at)
    Comment.objects.filter(pk__in=[c.pk for c in shared]).delete()
    Attachment.objects.filter(defect=defect).update(defect=None, request=request)

    changes = {"status": (defect.status, Defect.Status.CONVERTED)}
    defect.status = Defect.Status.CONVERTED
    defect.status_reason = f"Converted to {request.key}: {reason}"
    defect.status_changed_at = timezone.now()
    defect.needs_info_from = ""
    defect.save(update_fields=["status", "status_reason", "status_changed_at", "needs_info_from", "updated_at"])
    # No defect_changed hook: the twin is left alone (see the module docstring).
    audit_changes(obj=defect, actor=actor, channel=channel, changes=changes, action="transition", reason=reason)
    defect_refresh_impact(defect=defect, actor=actor, channel=channel)
    for ticket in waiting:
        ticket_awaits_product(ticket=ticket, actor=actor, channel=channel, reason=f"{defect.key} is now {request.key}")
    Conversion.objects.create(
        direction=Conversion.Direction.TO_REQUEST, defect=defect, request=request, reason=reason, actor=actor
    )
    _mark_both(old=defect, new=request, actor=actor, channel=channel, reason=reason)
    request_refresh_demand(request=request)
    notify(
        users=[*(request.team.members.all() if request.team else []), *_agents(request.ticket_links.all())],
        kind=Notification.Kind.REQUEST_STATUS, actor=actor,
        message=f"{defect.key} {defect.title} is now the enhancement request {request.key}: {reason}",
        url=f"/requests/{request.pk}/",
    )
    # A new request of a product team with a tracker is created there, as sending one does.
    request_twins_created(request=request, channel=channel)
    return request


@transaction.atomic
def request_convert_to_defect(
    *, request: EnhancementRequest, actor, channel: str, reason: str,
    impact: str = Impact.SINGLE_USER, urgency: str = Urgency.DEGRADED,
) -> Defect:
    """Turn an open request into a new defect (DEF-n) with its tickets, comments, attachments and history.

    The defect is routed by defect rules and, on a team with a tracker
    connection, created there. Its severity follows the matrix from `impact`
    and `urgency` (tickets of two customers raise the impact, as linking
    does). A ticket already linked to another open defect keeps that one. The
    request is closed as `converted`. Raises ValidationError for a missing
    reason, a bad impact or urgency, or a request that is not open.
    """
    reason = _check_reason(reason)
    errors = {}
    if impact not in Impact.values:
        errors["impact"] = f"{impact!r} is not an impact. Choose one of: {', '.join(Impact.values)}."
    if urgency not in Urgency.values:
        errors["urgency"] = f"{urgency!r} is not an urgency. Choose one of: {', '.join(Urgency.values)}."
    if errors:
        raise ValidationError(errors)
    request = (
        EnhancementRequest.objects.select_for_update(of=("self",)).select_related("product", "component")
        .get(pk=request.pk)
    )
    if not request.is_open:
        raise ValidationError(
            {"request": f"{request.key} is {request.get_status_display().lower()}; only an open request can become "
             "a defect."}
        )
    description = request.problem
    if request.workaround:
        description += f"\n\nWorkaround today: {request.workaround}"
    defect = Defect(
        key=f"tmp-{uuid.uuid4().hex[:16]}", title=request.title, description=description,
        product_id=request.product_id, component=request.component, impact=impact, urgency=urgency,
        severity=compute_severity(impact, urgency), created_by=actor,
    )
    defect.product = request.product
    defect_route(defect=defect)
    defect.save()
    defect.key = defect_key(defect.pk)
    Defect.objects.filter(pk=defect.pk).update(key=defect.key)
    _copy_history(source=request, target=defect)

    links = list(TicketRequestLink.objects.filter(request=request).select_related("ticket").order_by("linked_at"))
    for link in links:
        ticket = Ticket.objects.select_for_update().get(pk=link.ticket_id)
        kept = open_defect_of(ticket)
        audit_record(
            obj=ticket, actor=actor, channel=channel, action="relinked", field="request", old=request.key,
            new=kept.key if kept else defect.key,
            reason=f"{request.key} converted to {defect.key}: {reason}"
            + (f" (the ticket keeps its defect {kept.key})" if kept else ""),
        )
        if kept is not None:
            continue
        new_link = TicketDefectLink.objects.create(ticket=ticket, defect=defect, linked_by=link.linked_by)
        TicketDefectLink.objects.filter(pk=new_link.pk).update(linked_at=link.linked_at)
        if ticket.is_open:
            ticket_set_status(
                ticket=ticket, status=Ticket.Status.AWAITING_ENGINEERING, actor=actor, channel=channel,
                reason=f"{request.key} is now {defect.key}",
            )
    TicketRequestLink.objects.filter(pk__in=[link.pk for link in links]).delete()

    for comment in RequestComment.objects.filter(request=request).order_by("created_at", "id"):
        moved = Comment.objects.create(
            defect=defect, author_id=comment.author_id, body=comment.body, visibility=Comment.Visibility.SHARED,
            side=author_side(comment.author, on_ticket=True) if comment.author_id else Comment.Side.HELPDESK,
        )
        Comment.objects.filter(pk=moved.pk).update(created_at=comment.created_at)
    RequestComment.objects.filter(request=request).delete()
    Attachment.objects.filter(request=request).update(request=None, defect=defect)

    changes = {"status": (request.status, EnhancementRequest.Status.CONVERTED)}
    request.status = EnhancementRequest.Status.CONVERTED
    request.status_changed_at = timezone.now()
    request.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit_changes(obj=request, actor=actor, channel=channel, changes=changes, action="transition", reason=reason)
    request_refresh_demand(request=request)
    Conversion.objects.create(
        direction=Conversion.Direction.TO_DEFECT, defect=defect, request=request, reason=reason, actor=actor
    )
    _mark_both(old=request, new=defect, actor=actor, channel=channel, reason=reason)
    defect_refresh_impact(defect=defect, actor=actor, channel=channel)
    notify_routed(defect=defect, actor=actor)
    notify(
        users=_agents(defect.ticket_links.all()), kind=Notification.Kind.DEFECT_STATUS, actor=actor,
        message=f"{request.key} {request.title} is now the defect {defect.key}: {reason}",
        url=f"/defects/{defect.pk}/",
    )
    # A new defect on a synced team is created in its tracker, as escalating does (once).
    outbox_enqueue(defect=defect, kind="create", channel=channel)
    for attachment_id in defect.attachments.values_list("pk", flat=True):
        outbox_enqueue(defect=defect, kind="attachment", payload={"attachment_id": attachment_id}, channel=channel)
    return defect


def _agents(links) -> list:
    """The assignees of the linked tickets (notify drops duplicates and the actor)."""
    return [link.ticket.assignee for link in links.select_related("ticket__assignee")]
