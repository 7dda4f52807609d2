"""Escalating a ticket to engineering: a new defect, or a link to an existing one."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from core.audit import audit_record
from defects.attachments import CheckedFile
from defects.models import Attachment, Defect, TicketDefectLink
from defects.services.changes import notify_routed
from defects.services.links import defect_link_counts, defect_refresh_impact, impact_with
from defects.services.parts import validate_product_parts
from defects.services.routing import defect_route
from defects.services.transitions import defect_reopen
from defects.severity import Impact, Severity, Urgency, compute_severity
from sync.outbox import outbox_enqueue
from tickets.models import Component, ProductVersion, Ticket
from tickets.services.status import ENGINEERING_OWES, ticket_links_support
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


def _check_linkable(ticket: Ticket, defect: Defect) -> None:
    _check_escalatable(ticket)
    if not defect.is_open:
        raise ValidationError(
            {"defect": f"{defect.key} is {defect.get_status_display().lower()}; link only to an open defect."}
        )
    if defect.product_id != ticket.product_id:
        raise ValidationError({"defect": f"{defect.key} is a defect of another product."})


@transaction.atomic
def ticket_link_defect(*, ticket: Ticket, defect: Defect, actor, channel: str) -> TicketDefectLink:
    """Link the ticket to an existing open defect instead of creating a new one.

    Raises AlreadyEscalated, or ValidationError for a closed ticket, a defect
    that is not open or one of another product (ticket_link_preview says so first).
    """
    ticket = _lock_ticket(ticket)
    defect = Defect.objects.select_for_update().get(pk=defect.pk)
    _check_linkable(ticket, defect)
    return _link(ticket=ticket, defect=defect, actor=actor, channel=channel)


@dataclass(frozen=True)
class LinkPreview:
    """What linking a ticket to a defect would change, for the agent to confirm."""

    defect: Defect
    customers: tuple[int, int]  # (now, after)
    tickets: tuple[int, int]
    impact: tuple[str, str]
    severity: tuple[str, str]
    # The ticket's customer is already among the defect's.
    customer_known: bool

    @property
    def severity_rises(self) -> bool:
        return self.severity[0] != self.severity[1]

    @property
    def impact_label(self) -> str:
        return Impact(self.impact[1]).label


def ticket_link_preview(*, ticket: Ticket, defect: Defect) -> LinkPreview:
    """What ticket_link_defect would do, computed by the same rule (defects.services.links.impact_with).

    Raises as ticket_link_defect would (AlreadyEscalated, ValidationError); changes nothing.
    """
    _check_linkable(ticket, defect)
    counts = defect_link_counts(defect)
    known = TicketDefectLink.objects.filter(defect=defect, ticket__customer_id=ticket.customer_id).exists()
    customers = counts["customers"] + (0 if known else 1)
    impact, severity = impact_with(defect, customers=customers)
    return LinkPreview(
        defect=defect,
        customers=(counts["customers"], customers),
        tickets=(counts["tickets"], counts["tickets"] + 1),
        impact=(defect.impact, impact),
        severity=(defect.severity, severity),
        customer_known=known,
    )


@dataclass(frozen=True)
class UnlinkPreview:
    """What unlinking a ticket from a defect would change, for the agent to confirm."""

    defect: Defect
    customers: tuple[int, int]  # (now, after)
    tickets: tuple[int, int]
    # The ticket waits on engineering through this defect alone: it goes back to open.
    back_to_open: bool


def ticket_unlink_preview(*, ticket: Ticket, defect: Defect) -> UnlinkPreview:
    """What ticket_unlink_defect would do (three queries); changes nothing."""
    counts = defect_link_counts(defect)
    others = TicketDefectLink.objects.filter(defect=defect).exclude(ticket=ticket)
    after = others.aggregate(customers=Count("ticket__customer", distinct=True))["customers"]
    waits_elsewhere = TicketDefectLink.objects.filter(
        ticket=ticket, defect__status__in=ENGINEERING_OWES
    ).exclude(defect=defect).exists()
    return UnlinkPreview(
        defect=defect,
        customers=(counts["customers"], after),
        tickets=(counts["tickets"], counts["tickets"] - 1),
        back_to_open=ticket.status == Ticket.Status.AWAITING_ENGINEERING and not waits_elsewhere,
    )


@transaction.atomic
def ticket_unlink_defect(*, ticket: Ticket, defect: Defect, actor, channel: str, reason: str) -> Ticket:
    """Take the ticket off a defect it was linked to by mistake, audited on both with the reason.

    The defect's customers and tickets are counted again (its impact and severity
    are never lowered by this: engineering decides that). A ticket left waiting on
    engineering with no defect to wait on goes back to open. Raises ValidationError
    {"reason": ...} without a reason, {"defect": ...} when they are not linked.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Say why {ticket.number} is unlinked from {defect.key}."})
    ticket = _lock_ticket(ticket)
    defect = Defect.objects.select_for_update().get(pk=defect.pk)
    deleted, _ = TicketDefectLink.objects.filter(ticket=ticket, defect=defect).delete()
    if not deleted:
        raise ValidationError({"defect": f"{ticket.number} is not linked to {defect.key}."})
    audit_record(obj=ticket, actor=actor, channel=channel, action="unlinked", field="defect", old=defect.key,
                 reason=reason)
    audit_record(obj=defect, actor=actor, channel=channel, action="unlinked", field="ticket", old=ticket.number,
                 reason=reason)
    defect_refresh_impact(defect=defect, actor=actor, channel=channel)
    if ticket.status == Ticket.Status.AWAITING_ENGINEERING and not ticket_links_support(ticket, ticket.status):
        ticket_set_status(
            ticket=ticket, status=Ticket.Status.OPEN, actor=actor, channel=channel,
            reason=f"Unlinked from {defect.key}: {reason}",
        )
    return ticket


@transaction.atomic
def ticket_problem_back(*, ticket: Ticket, actor, channel: str, reason: str) -> Defect:
    """The problem of a ticket whose defect was released came back: that defect is reopened.

    The ticket follows it back to engineering (defects.services.transitions.defect_reopen).
    Raises AlreadyEscalated when the ticket has an open defect, and ValidationError
    for a closed ticket, a missing reason, or a ticket with no released defect.
    """
    ticket = _lock_ticket(ticket)
    _check_escalatable(ticket)
    defect = released_defect_of(ticket)
    if defect is None:
        raise ValidationError(
            {"non_field_errors": f"{ticket.number} has no released fix to reopen; escalate it as a new problem."}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": f"Say what shows the problem of {defect.key} is back."})
    audit_record(obj=ticket, actor=actor, channel=channel, action="reopened", field="defect", new=defect.key,
                 reason=reason.strip())
    return defect_reopen(
        defect=defect, actor=actor, channel=channel, reason=f"The problem is back ({ticket.number}): {reason.strip()}"
    )


def released_defect_of(ticket: Ticket) -> Defect | None:
    """The ticket's current defect when its fix has shipped (released), else None."""
    link = (
        TicketDefectLink.objects.filter(ticket=ticket).select_related("defect__fixed_in_release")
        .order_by("-linked_at", "-id").first()
    )
    return link.defect if link and link.defect.status == Defect.Status.RELEASED else None
