"""Sending an enhancement request from a ticket, linking more tickets, and editing a request."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_changes, audit_record
from core.models import Notification
from core.notifications import notify
from defects.models import RoutingRule, Team
from enhancements.models import EnhancementRequest, TicketRequestLink
from enhancements.services.demand import request_refresh_demand
from enhancements.services.tickets import ticket_awaits_product
from enhancements.services.twins import request_twins_created, request_twins_edited
from tickets.models import Component, Ticket


class AlreadyRequested(Exception):
    """The ticket already asks for an open request (HTTP 409)."""

    def __init__(self, request: EnhancementRequest):
        self.request = request
        super().__init__(f"This ticket already asks for the open request {request.key}.")


def request_key(pk: int) -> str:
    return f"ENH-{pk}"


def route_product_team(*, product, component, title: str) -> Team | None:
    """The first matching active request rule's team (a product team), else None.

    Rules match as defect rules do: product, then component and keyword when set.
    """
    rules = RoutingRule.objects.filter(
        product=product, active=True, kind=RoutingRule.Kind.REQUEST, team__kind=Team.Kind.PRODUCT
    ).select_related("team")
    lowered = (title or "").lower()
    for rule in rules.order_by("priority", "id"):
        if rule.component_id and rule.component_id != getattr(component, "pk", None):
            continue
        if rule.keyword and rule.keyword.lower() not in lowered:
            continue
        return rule.team
    return None


def open_request_of(ticket: Ticket) -> EnhancementRequest | None:
    link = (
        TicketRequestLink.objects.filter(ticket=ticket, request__status__in=EnhancementRequest.OPEN_STATUSES)
        .select_related("request").first()
    )
    return link.request if link else None


def _check_importance(importance: str) -> None:
    if importance not in TicketRequestLink.Importance.values:
        choices = ", ".join(TicketRequestLink.Importance.values)
        raise ValidationError({"importance": f"{importance!r} is not an importance. Choose one of: {choices}."})


def _lock_ticket(ticket: Ticket) -> Ticket:
    ticket = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
    existing = open_request_of(ticket)
    if existing is not None:
        raise AlreadyRequested(existing)
    return ticket


def _link(*, ticket: Ticket, request: EnhancementRequest, importance: str, actor, channel: str) -> TicketRequestLink:
    link = TicketRequestLink.objects.create(
        ticket=ticket, request=request, customer_id=ticket.customer_id, importance=importance, linked_by=actor
    )
    audit_record(obj=ticket, actor=actor, channel=channel, action="linked", field="request", new=request.key)
    audit_record(
        obj=request, actor=actor, channel=channel, action="linked", field="tickets",
        new=f"{ticket.number} ({ticket.customer}, {link.get_importance_display().lower()})",
    )
    request_refresh_demand(request=request)
    ticket_awaits_product(
        ticket=ticket, actor=actor, channel=channel, reason=f"Sent to product management as {request.key}"
    )
    return link


@transaction.atomic
def request_create_from_ticket(
    *,
    ticket: Ticket,
    actor,
    channel: str,
    title: str,
    problem: str,
    importance: str,
    workaround: str = "",
    component: Component | None = None,
) -> EnhancementRequest:
    """A new request (ENH-n) from the ticket, routed by request rules, with the ticket linked.

    Raises AlreadyRequested when the ticket already asks for an open request,
    ValidationError (by field) for bad input. All or nothing.
    """
    ticket = _lock_ticket(ticket)
    errors = {}
    if not (title or "").strip():
        errors["title"] = "A title is required."
    if not (problem or "").strip():
        errors["problem"] = "Describe the customer's problem or goal."
    if importance not in TicketRequestLink.Importance.values:
        try:
            _check_importance(importance)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    component = component if component is not None else ticket.component
    if component is not None and component.product_id != ticket.product_id:
        errors["component"] = f"{component} is not a component of {ticket.product}."
    if errors:
        raise ValidationError(errors)
    request = EnhancementRequest(
        key=f"tmp-{uuid.uuid4().hex[:16]}",
        title=title.strip(),
        problem=problem.strip(),
        workaround=(workaround or "").strip(),
        product_id=ticket.product_id,
        component=component,
        created_by=actor,
    )
    request.team = route_product_team(product=ticket.product, component=component, title=request.title)
    request.save()
    request.key = request_key(request.pk)
    EnhancementRequest.objects.filter(pk=request.pk).update(key=request.key)
    audit_record(
        obj=request, actor=actor, channel=channel, action="created",
        new=f"from {ticket.number}, routed to {request.team or 'no product team'}",
    )
    if request.team is not None:
        notify(
            users=request.team.members.all(), kind=Notification.Kind.ROUTED, actor=actor, team_wide=True,
            message=f"New enhancement request {request.key} for {request.team}: {request.title}",
            url=f"/requests/{request.pk}/",
        )
    _link(ticket=ticket, request=request, importance=importance, actor=actor, channel=channel)
    # A product team with a tracker connection: the request is created there too.
    request_twins_created(request=request, channel=channel)
    return request


@transaction.atomic
def request_link_ticket(
    *, ticket: Ticket, request: EnhancementRequest, importance: str, actor, channel: str
) -> TicketRequestLink:
    """Add the ticket (and its customer) to an existing open request of the same product."""
    _check_importance(importance)
    ticket = _lock_ticket(ticket)
    request = EnhancementRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise ValidationError(
            {"request": f"{request.key} is {request.get_status_display().lower()}; add tickets only to an open one."}
        )
    if request.product_id != ticket.product_id:
        raise ValidationError({"request": f"{request.key} is a request for another product."})
    return _link(ticket=ticket, request=request, importance=importance, actor=actor, channel=channel)


EDITABLE = ("title", "problem", "workaround", "component", "team")


@transaction.atomic
def request_update(*, request: EnhancementRequest, actor, channel: str, **fields) -> EnhancementRequest:
    """Edit a request's text, component or team; one audit row per changed field.

    Status, target and delivered releases change only through request_transition
    (a planned request's target may be moved with request_retarget).
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    request = EnhancementRequest.objects.select_for_update().get(pk=request.pk)
    errors = {}
    if "title" in fields and not (fields["title"] or "").strip():
        errors["title"] = "A title is required."
    if "problem" in fields and not (fields["problem"] or "").strip():
        errors["problem"] = "Describe the customer's problem or goal."
    component = fields.get("component")
    if component is not None and component.product_id != request.product_id:
        errors["component"] = f"{component} is not a component of {request.product}."
    team = fields.get("team")
    if team is not None and team.kind != Team.Kind.PRODUCT:
        errors["team"] = f"{team} is not a product team."
    if errors:
        raise ValidationError(errors)
    changes = {}
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        old = getattr(request, name)
        if old != value:
            changes[name] = (old, value)
            setattr(request, name, value)
    if changes:
        request.save(update_fields=[*changes, "updated_at"])
        audit_changes(obj=request, actor=actor, channel=channel, changes=changes)
        request_twins_edited(request=request, changed=set(changes), channel=channel)
    return request
