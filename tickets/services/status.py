"""Which help-desk statuses fit a ticket, given what it is linked to.

A status that says the ticket waits on someone needs the link it waits on, or
it would wait for ever:

| status                        | needs                                                         |
|-------------------------------|---------------------------------------------------------------|
| Awaiting engineering          | a linked defect engineering still owes something on: open, or |
|                               | fixed and waiting for its release                             |
| Awaiting product management   | a linked enhancement request that is still open               |

Every other status fits any ticket. ticket_set_status refuses a status that
does not fit (whoever asks: a person, the API, a bulk change), and the forms
offer only those that do.
"""

from django.core.exceptions import ValidationError

from defects.models import Defect, TicketDefectLink
from tickets.models import Ticket

T = Ticket.Status
# Engineering still owes an answer on a defect that is open, or fixed and not yet shipped.
ENGINEERING_OWES = (*Defect.OPEN_STATUSES, Defect.Status.FIXED)
WHY_NOT = {
    T.AWAITING_ENGINEERING: "it is linked to no defect engineering is still working on; escalate it or link it first",
    T.AWAITING_PRODUCT: "it is linked to no open enhancement request; send one first",
}


def _request_model():
    # Enhancement requests live in an app above this one: reached through the ticket's reverse relation.
    return Ticket._meta.get_field("request_links").related_model._meta.get_field("request").related_model


def _waits_on_engineering(ticket: Ticket) -> bool:
    return TicketDefectLink.objects.filter(ticket_id=ticket.pk, defect__status__in=ENGINEERING_OWES).exists()


def _waits_on_product(ticket: Ticket) -> bool:
    return ticket.request_links.filter(request__status__in=_request_model().OPEN_STATUSES).exists()


NEEDS = {T.AWAITING_ENGINEERING: _waits_on_engineering, T.AWAITING_PRODUCT: _waits_on_product}


def ticket_links_support(ticket: Ticket, status: str) -> bool:
    """Whether the ticket's links support `status` (one query for a status that needs a link)."""
    needs = NEEDS.get(status)
    return needs is None or needs(ticket)


def ticket_status_fits(ticket: Ticket, status: str) -> bool:
    """Whether `ticket` may take `status` now. Its current status always fits (setting it changes nothing)."""
    return status == ticket.status or ticket_links_support(ticket, status)


def links_support(*, defect_statuses, request_open: bool) -> dict[str, bool]:
    """Whether links already read support each status that needs one: the statuses of the
    ticket's linked defects, and whether one of its enhancement requests is open."""
    return {
        T.AWAITING_ENGINEERING: any(status in ENGINEERING_OWES for status in defect_statuses),
        T.AWAITING_PRODUCT: request_open,
    }


def ticket_status_choices(ticket: Ticket, *, supported: dict[str, bool] | None = None) -> list[tuple[str, str]]:
    """(value, label) of the help-desk statuses `ticket` may take now, in the model's order.

    Two queries at most; none with `supported` (links_support), where the caller has
    read the ticket's links already.
    """
    if supported is None:
        return [(value, label) for value, label in T.choices if ticket_status_fits(ticket, value)]
    return [
        (value, label) for value, label in T.choices
        if value == ticket.status or supported.get(value, True)
    ]


def ticket_check_status(ticket: Ticket, status: str) -> None:
    """Raise ValidationError {"status": ...} naming the statuses that fit, in words, when `status` does not."""
    if ticket_status_fits(ticket, status):
        return
    labels = dict(T.choices)
    allowed = ", ".join(str(label) for _, label in ticket_status_choices(ticket))
    raise ValidationError({
        "status": f"{ticket.number} cannot be \u201c{labels[status]}\u201d: {WHY_NOT[status]}. "
                  f"It can be: {allowed}."
    })
