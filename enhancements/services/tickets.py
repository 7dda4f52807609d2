"""What asking product management does to a ticket's help-desk status."""

from tickets.models import Ticket
from tickets.services.escalation import open_defect_of
from tickets.services.tickets import ticket_set_status


def ticket_awaits_product(*, ticket: Ticket, actor, channel: str, reason: str = "") -> Ticket:
    """An open ticket sent to product management waits on it ("Awaiting product management").

    A ticket that also has an open defect keeps waiting on engineering (a
    defect's fix is the nearer answer for its customer); a resolved or closed
    one keeps its status. Callers hold the transaction; the change is audited.
    """
    if not ticket.is_open or open_defect_of(ticket) is not None:
        return ticket
    return ticket_set_status(
        ticket=ticket, status=Ticket.Status.AWAITING_PRODUCT, actor=actor, channel=channel, reason=reason
    )


def tickets_back_to_help_desk(*, request, actor, channel: str) -> int:
    """A delivered or declined request hands its waiting tickets back to the help desk (`open`).

    Only tickets still "Awaiting product management" move: one waiting on
    engineering or on the customer keeps its status. Returns how many moved.
    """
    tickets = Ticket.objects.filter(request_links__request=request, status=Ticket.Status.AWAITING_PRODUCT)
    moved = 0
    for ticket in tickets.select_for_update():
        ticket_set_status(
            ticket=ticket, status=Ticket.Status.OPEN, actor=actor, channel=channel,
            reason=f"{request.key}: {request.help_desk_note}",
        )
        moved += 1
    return moved
