"""Escalating a ticket to engineering: a new defect, or a link to an existing one."""

import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_record
from defects.attachments import CheckedFile
from defects.models import Attachment, Defect, TicketDefectLink
from defects.services.changes import notify_routed
from defects.services.links import defect_refresh_impact
from defects.services.parts import validate_product_parts
from defects.services.routing import defect_route
from defects.severity import Impact, Severity, Urgency, compute_severity
from sync.outbox import outbox_enqueue
from tickets.models import Component, ProductVersion, Ticket
from tickets.services.tickets import ticket_set_status


class AlreadyEscalated(Exception):
    """The ticket is already linked to an open defect (HTTP 409)."""

    def __init__(self, defect: Defect):
        self.defect = defect
        super().__init__(f"This ticket is already linked to the open defect {defect.key}.")


def defect_key(pk: int) -> str:
    return f"DEF-{pk}"


def open_defect_of(ticket: Ticket) -> Defect | None:
    link = (
        TicketDefectLink.objects.filter(ticket=ticket, defect__status__in=Defect.OPEN_STATUSES)
        .select_related("defect")
        .first()
    )
    return link.defect if link else None


def _lock_ticket(ticket: Ticket) -> Ticket:
    # Row lock so two agents escalating the same ticket at once cannot both win.
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _check_escalatable(ticket: Ticket) -> None:
    if not ticket.is_open:
        status = ticket.get_status_display().lower()
        raise ValidationError({"non_field_errors": f"{ticket.number} is {status}; reopen it first."})
    existing = open_defect_of(ticket)
    if existing is not None:
        raise AlreadyEscalated(existing)


def validate_severity_choice(*, impact: str, urgency: str, severity: str | None, severity_reason: str) -> str:
    """The matrix severity, or the agent's proposal when it comes with a reason."""
    errors = {}
    if impact not in Impact.values:
        errors["impact"] = f"{impact!r} is not an impact. Choose one of: {', '.join(Impact.values)}."
    if urgency not in Urgency.values:
        errors["urgency"] = f"{urgency!r} is not an urgency. Choose one of: {', '.join(Urgency.values)}."
    if severity and severity not in Severity.values:
        errors["severity"] = f"{severity!r} is not a severity. Choose one of: {', '.join(Severity.values)}."
    if errors:
        raise ValidationError(errors)
    computed = compute_severity(impact, urgency)
    if severity and severity != computed and not severity_reason.strip():
        raise ValidationError(
            {"severity_reason": f"The matrix gives {computed}; say why it should be {severity}."}
        )
    return severity or computed


def _attach(files: Sequence[CheckedFile], *, defect: Defect, actor) -> None:
    for checked in files:
        Attachment.objects.create(
            defect=defect,
            file=checked.upload,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=actor,
        )


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    actor,
    channel: str,
    title: str,
    impact: str,
    urgency: str,
    description: str = "",
    steps_to_reproduce: str = "",
    expected_result: str = "",
    actual_result: str = "",
    component: Component | None = None,
    version: ProductVersion | None = None,
    environment: str = "",
    severity: str | None = None,
    severity_reason: str = "",
    attachments: Sequence[CheckedFile] = (),
) -> Defect:
    """Create a defect from the ticket, route it, link the ticket and wait on engineering.

    Raises AlreadyEscalated when the ticket already has an open defect, and
    ValidationError (keyed by field) for bad input. All or nothing.
    """
    ticket = _lock_ticket(ticket)
    _check_escalatable(ticket)
    if not title.strip():
        raise ValidationError({"title": "A title is required."})
    chosen = validate_severity_choice(
        impact=impact, urgency=urgency, severity=severity, severity_reason=severity_reason
    )
    component = component if component is not None else ticket.component
    version = version if version is not None else ticket.version
    validate_product_parts(product=ticket.product, component=component, version=version)
    computed = compute_severity(impact, urgency)

    defect = Defect(
        key=f"tmp-{uuid.uuid4().hex[:16]}",
        title=title.strip(),
        description=description or ticket.description,
        steps_to_reproduce=steps_to_reproduce,
        expected_result=expected_result,
        actual_result=actual_result,
        product=ticket.product,
        component=component,
        environment=environment or ticket.environment,
        impact=impact,
        urgency=urgency,
        severity=chosen,
        severity_reason=severity_reason.strip() if chosen != computed else "",
        created_by=actor,
    )
    defect_route(defect=defect)
    defect.save()
    defect.key = defect_key(defect.pk)
    Defect.objects.filter(pk=defect.pk).update(key=defect.key)
    if version is not None:
        defect.affected_versions.add(version)
    _attach(attachments, defect=defect, actor=actor)
    audit_record(
        obj=defect, actor=actor, channel=channel, action="created",
        new=f"from {ticket.number}, routed to {defect.team or 'Unrouted'}, {defect.severity}",
    )
    notify_routed(defect=defect, actor=actor)
    _link(ticket=ticket, defect=defect, actor=actor, channel=channel)
    outbox_enqueue(defect=defect, kind="create", channel=channel)
    for attachment_id in defect.attachments.values_list("pk", flat=True):
        outbox_enqueue(defect=defect, kind="attachment", payload={"attachment_id": attachment_id}, channel=channel)
    return defect


def _link(*, ticket: Ticket, defect: Defect, actor, channel: str) -> TicketDefectLink:
    link = TicketDefectLink.objects.create(ticket=ticket, defect=defect, linked_by=actor)
    audit_record(obj=ticket, actor=actor, channel=channel, action="linked", field="defect", new=defect.key)
    ticket_set_status(
        ticket=ticket, status=Ticket.Status.AWAITING_ENGINEERING, actor=actor, channel=channel
    )
    defect_refresh_impact(defect=defect, actor=actor, channel=channel)
    return link


@transaction.atomic
def ticket_link_defect(*, ticket: Ticket, defect: Defect, actor, channel: str) -> TicketDefectLink:
    """Link the ticket to an existing open defect instead of creating a new one."""
    ticket = _lock_ticket(ticket)
    _check_escalatable(ticket)
    defect = Defect.objects.select_for_update().get(pk=defect.pk)
    if not defect.is_open:
        raise ValidationError(
            {"defect": f"{defect.key} is {defect.get_status_display().lower()}; link only to an open defect."}
        )
    if defect.product_id != ticket.product_id:
        raise ValidationError({"defect": f"{defect.key} is a defect of another product."})
    return _link(ticket=ticket, defect=defect, actor=actor, channel=channel)
