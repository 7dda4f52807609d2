"""What contacts do with tickets in the portal: raise one, and reply on one."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from core import roles
from core.models import Notification
from core.notifications import notify
from defects.attachments import CheckedFile
from defects.models import Attachment, Comment
from defects.services.comments import customer_reply_add
from portal.selectors import PortalIdentity
from portal.services import contact_channel
from tickets.models import Contact, Product, ProductVersion, Ticket
from tickets.services.tickets import ticket_create, ticket_set_status

MAX_FILES = 10


def _attach(files: Sequence[CheckedFile], *, ticket: Ticket, contact: Contact, comment: Comment | None) -> None:
    if len(files) > MAX_FILES:
        raise ValidationError({"attachments": f"At most {MAX_FILES} files at a time."})
    for checked in files:
        Attachment.objects.create(
            ticket=ticket, comment=comment, file=checked.upload, name=checked.name,
            content_type=checked.content_type, size=checked.size, uploaded_by_contact=contact, from_customer=True,
        )


def _contact(identity: PortalIdentity) -> Contact:
    return Contact.objects.select_related("customer").get(pk=identity.contact_id)


@transaction.atomic
def portal_ticket_create(
    *, identity: PortalIdentity, product: Product, subject: str, description: str,
    version: ProductVersion | None = None, files: Sequence[CheckedFile] = (),
) -> Ticket:
    """A new ticket from the contact, for their customer: it arrives in the help desk's list as `new`,
    unassigned. Files are checked by the caller (defects.attachments). All or nothing."""
    contact = _contact(identity)
    if not (description or "").strip():
        raise ValidationError({"description": "Tell us what happened."})
    ticket = ticket_create(
        actor=None, channel=contact_channel(contact), subject=subject or "", description=description.strip(),
        customer=contact.customer, contact=contact,
        product=product, version=version, assignee=None,
    )
    _attach(files, ticket=ticket, contact=contact, comment=None)
    return ticket


@transaction.atomic
def portal_reply(
    *, identity: PortalIdentity, ticket: Ticket, body: str, files: Sequence[CheckedFile] = ()
) -> Comment:
    """The contact's reply on a ticket they may see (the caller checked): a customer comment,
    its files, and a ticket that waited on the customer goes back to the help desk (`open`).
    The ticket's agent is told. All or nothing."""
    contact = _contact(identity)
    channel = contact_channel(contact)
    comment = customer_reply_add(ticket=ticket, contact=contact, body=body, channel=channel)
    _attach(files, ticket=ticket, contact=contact, comment=comment)
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=ticket.pk)
    if ticket.status == Ticket.Status.AWAITING_CUSTOMER:
        ticket_set_status(
            ticket=ticket, status=Ticket.Status.OPEN, actor=None, channel=channel, reason="The customer replied."
        )
    if ticket.assignee is not None and roles.can_work_tickets(ticket.assignee):
        notify(
            users=[ticket.assignee], kind=Notification.Kind.COMMENT,
            message=f"{contact.name} ({identity.customer_name}) replied on {ticket.number}",
            url=reverse("tickets:detail", args=[ticket.pk]),
        )
    return comment
