"""Creating and changing tickets."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from core import roles
from core.audit import audit_changes, audit_record
from defects.services.parts import validate_product_parts
from tickets.hooks import ticket_status_changed
from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket
from tickets.services.status import ticket_check_status


def ticket_number(pk: int) -> str:
    return f"HD-{1000 + pk}"


@transaction.atomic
def ticket_create(
    *,
    actor,
    channel: str,
    subject: str,
    customer: Customer,
    product: Product,
    description: str = "",
    contact: Contact | None = None,
    component: Component | None = None,
    version: ProductVersion | None = None,
    environment: str = "",
    assignee=None,
) -> Ticket:
    validate_product_parts(product=product, component=component, version=version)
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": f"{contact} does not work for {customer}."})
    if not subject.strip():
        raise ValidationError({"subject": "A subject is required."})
    ticket = Ticket.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}",
        subject=subject.strip(),
        description=description,
        customer=customer,
        contact=contact,
        product=product,
        component=component,
        version=version,
        environment=environment,
        assignee=assignee if assignee is not None else actor,
        created_by=actor,
    )
    ticket.number = ticket_number(ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(number=ticket.number)
    audit_record(obj=ticket, actor=actor, channel=channel, action="created")
    return ticket


def ticket_set_status(*, ticket: Ticket, status: str, actor, channel: str, reason: str = "") -> Ticket:
    """Change the help-desk status, audited. Callers hold the transaction.

    Refuses (ValidationError keyed "status") a status the ticket's links do not
    support, such as "Awaiting engineering" without a defect (tickets.services.status).
    """
    if status not in Ticket.Status.values:
        raise ValidationError({"status": f"Unknown ticket status {status!r}."})
    if ticket.status == status:
        return ticket
    ticket_check_status(ticket, status)
    old = ticket.status
    ticket.status = status
    ticket.save(update_fields=["status", "updated_at"])
    audit_changes(obj=ticket, actor=actor, channel=channel, changes={"status": (old, status)}, reason=reason)
    ticket_status_changed.send(ticket=ticket, old=old, new=status, actor=actor, channel=channel)
    return ticket


def ticket_assign(*, ticket: Ticket, assignee, actor, channel: str) -> Ticket:
    """Give the ticket to an active agent or manager (None: to nobody), audited. Callers hold the transaction."""
    if assignee is not None and not (assignee.is_active and roles.can_work_tickets(assignee)):
        raise ValidationError({"assignee": f"{assignee.get_username()} is not an agent or a manager."})
    if ticket.assignee_id == getattr(assignee, "pk", None):
        return ticket
    old = ticket.assignee
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    audit_changes(obj=ticket, actor=actor, channel=channel, changes={"assignee": (old, assignee)})
    return ticket
