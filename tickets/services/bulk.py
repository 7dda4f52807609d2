"""One change applied to many tickets at once (the ticket list's bulk actions and POST /api/tickets/bulk/).

Each ticket goes through the same service as a change made on its own page, so
each is checked and audited alike; each in its own transaction, so a ticket the
rules refuse is reported and leaves the others changed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from tickets.models import Ticket
from tickets.services.tickets import ticket_assign, ticket_set_status

# A selection larger than a page of the list is not something a person picked.
MAX_TICKETS = 100


@dataclass
class BulkOutcome:
    """What a bulk change did: the tickets changed (or already so) and those refused, with why."""

    done: list[Ticket] = field(default_factory=list)
    refused: list[tuple[Ticket, list[str]]] = field(default_factory=list)


def _each(tickets: Iterable[Ticket], change: Callable[[Ticket], object]) -> BulkOutcome:
    outcome = BulkOutcome()
    for ticket in tickets:
        try:
            with transaction.atomic():
                change(ticket)
        except ValidationError as exc:
            outcome.refused.append((ticket, exc.messages))
        else:
            outcome.done.append(ticket)
    return outcome


def _bounded(tickets: Iterable[Ticket]) -> list[Ticket]:
    tickets = list(tickets)
    if len(tickets) > MAX_TICKETS:
        raise ValidationError({"tickets": f"Select at most {MAX_TICKETS} tickets at a time."})
    return tickets


def tickets_bulk_assign(*, tickets: Iterable[Ticket], assignee, actor, channel: str) -> BulkOutcome:
    """Assign every ticket to `assignee` (None: to nobody) through ticket_assign."""
    return _each(
        _bounded(tickets),
        lambda ticket: ticket_assign(ticket=ticket, assignee=assignee, actor=actor, channel=channel),
    )


def tickets_bulk_set_status(
    *, tickets: Iterable[Ticket], status: str, actor, channel: str, reason: str = ""
) -> BulkOutcome:
    """Move every ticket to `status` through ticket_set_status, which refuses a status a ticket may not take."""
    return _each(
        _bounded(tickets),
        lambda ticket: ticket_set_status(ticket=ticket, status=status, actor=actor, channel=channel, reason=reason),
    )
