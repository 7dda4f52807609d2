"""Seeded tickets and their links to defects: many tickets to one defect, some from several customers."""

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from defects.models import Defect
from defects.severity import Impact, compute_severity, more_severe
from tickets.models import Ticket
from tickets.services.tickets import ticket_number
from tools.scale import texts
from tools.scale.catalog import Catalog
from tools.scale.seed_defects import SeededDefect, product_for

T = Ticket.Status
D = Defect.Status
LINKED_SHARE = 0.5  # at most this share of tickets reach engineering
RECENT_TICKET_STATUSES = {T.NEW: 30, T.OPEN: 35, T.AWAITING_CUSTOMER: 20, T.RESOLVED: 10, T.CLOSED: 5}
OLD_TICKET_STATUSES = {T.CLOSED: 75, T.RESOLVED: 15, T.OPEN: 4, T.AWAITING_CUSTOMER: 4, T.NEW: 2}


@dataclass
class SeededLinks:
    tickets: list[dict]
    links: list[dict] = field(default_factory=list)


def _extra_tickets(rng: random.Random) -> int:
    """How many more tickets report the same defect: usually none, sometimes dozens."""
    roll = rng.random()
    if roll < 0.65:
        return 0
    if roll < 0.85:
        return 1
    if roll < 0.95:
        return 2
    if roll < 0.99:
        return rng.randint(3, 6)
    return rng.randint(7, 40)


def _linked_status(rng: random.Random, defect_status: str) -> str:
    if defect_status == D.RELEASED:
        return T.CLOSED if rng.random() < 0.6 else T.RESOLVED
    if defect_status in (D.WONT_FIX, D.CANNOT_REPRODUCE):
        return T.CLOSED if rng.random() < 0.7 else T.OPEN
    return T.AWAITING_ENGINEERING if rng.random() < 0.9 else T.AWAITING_CUSTOMER


class _Picker:
    """Fast weighted draws: a few customers file most tickets."""

    def __init__(self, rng: random.Random, catalog: Catalog):
        self.rng = rng
        self.catalog = catalog
        customers = list(catalog.customer_ids)
        rng.shuffle(customers)
        self.customers = customers
        self.cum = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(customers))))

    def customer(self) -> int:
        return self.rng.choices(self.customers, cum_weights=self.cum)[0]


def _ticket(rng, picker: _Picker, *, info, created, status, customer_id, headline, now, component=None) -> dict:
    agent = rng.choice(picker.catalog.agents)
    contacts = picker.catalog.contacts_of.get(customer_id)
    if component is None and info.components and rng.random() < 0.8:
        component = rng.choice(info.components)
    return {
        "subject": texts.ticket_subject(rng, headline),
        "description": texts.description(rng, headline),
        "customer_id": customer_id,
        "contact_id": rng.choice(contacts) if contacts else None,
        "product_id": info.product.pk,
        "component_id": component.pk if component else None,
        "version_id": rng.choice(info.versions).pk if info.versions else None,
        "environment": rng.choice(texts.ENVIRONMENTS),
        "status": str(status),
        "assignee_id": agent.pk if rng.random() > 0.03 else None,
        "created_by_id": agent.pk,
        "created_at": created,
        "updated_at": min(now, created + timedelta(hours=rng.uniform(0, 240))),
    }


def _reported_defects(rng, picker, defects, budget, *, now, start) -> tuple[list[dict], list[tuple]]:
    """Tickets escalated to the defects; a duplicate's tickets sit on the defect it duplicates."""
    by_id = {d.row["id"]: d for d in defects}
    tickets: list[dict] = []
    intents: list[tuple[dict, SeededDefect, datetime]] = []
    for defect in defects:
        if budget <= 0:
            break
        target = by_id.get(defect.row["duplicate_of_id"], defect)
        created = defect.row["created_at"]
        count = min(budget, 1 + _extra_tickets(rng))
        budget -= count
        first_customer = picker.customer()
        for n in range(count):
            if n == 0:
                when = max(start, created - timedelta(hours=rng.uniform(1, 120)))
                customer_id, linked_at = first_customer, created
            else:
                when = created + min(now - created, timedelta(days=90)) * rng.random()
                customer_id = first_customer if rng.random() < 0.4 else picker.customer()
                linked_at = min(now, when + timedelta(hours=rng.uniform(1, 48)))
            row = _ticket(
                rng, picker, info=defect.info, created=when, customer_id=customer_id,
                status=_linked_status(rng, target.status), headline=defect.row["title"], now=now,
                component=next((c for c in defect.info.components if c.pk == defect.row["component_id"]), None),
            )
            row["updated_at"] = max(row["updated_at"], linked_at)
            tickets.append(row)
            intents.append((row, target, linked_at))
    return tickets, intents


def generate_tickets(
    rng: random.Random, catalog: Catalog, defects: list[SeededDefect], ids: list[int],
    *, now: datetime, span: timedelta,
) -> SeededLinks:
    """len(ids) tickets, numbered HD-n in creation order, a share of them linked to the defects."""
    start = now - span
    picker = _Picker(rng, catalog)
    tickets, intents = _reported_defects(
        rng, picker, defects, int(len(ids) * LINKED_SHARE), now=now, start=start
    )
    while len(tickets) < len(ids):
        created = start + (now - start) * rng.random()
        recent = now - created < timedelta(days=21)
        weights = RECENT_TICKET_STATUSES if recent else OLD_TICKET_STATUSES
        status = rng.choices(list(weights), weights=list(weights.values()))[0]
        info = product_for(rng, catalog)
        tickets.append(_ticket(
            rng, picker, info=info, created=created, status=status, customer_id=picker.customer(),
            headline=texts.title(rng), now=now,
        ))
    tickets.sort(key=lambda row: row["created_at"])
    for pk, row in zip(ids, tickets, strict=True):
        row["id"] = pk
        row["number"] = ticket_number(pk)
    links = [
        {"ticket_id": row["id"], "defect_id": defect.row["id"], "linked_by_id": row["created_by_id"],
         "linked_at": linked_at}
        for row, defect, linked_at in intents
    ]
    _raise_impact(defects, tickets, links)
    return SeededLinks(tickets, links)


def _raise_impact(defects: list[SeededDefect], tickets: list[dict], links: list[dict]) -> None:
    """Each defect's customer and ticket counts from its links, and tickets from two customers or
    more make its impact multiple_customers, as linking does."""
    customer_of = {row["id"]: row["customer_id"] for row in tickets}
    customers: dict[int, set[int]] = {}
    linked: dict[int, set[int]] = {}
    for link in links:
        customers.setdefault(link["defect_id"], set()).add(customer_of[link["ticket_id"]])
        linked.setdefault(link["defect_id"], set()).add(link["ticket_id"])
    for defect in defects:
        row = defect.row
        row["customer_count"] = len(customers.get(row["id"], ()))
        row["ticket_count"] = len(linked.get(row["id"], ()))
        if len(customers.get(row["id"], ())) >= 2:
            row["impact"] = Impact.MULTIPLE_CUSTOMERS.value
            row["severity"] = more_severe(row["severity"], compute_severity(row["impact"], row["urgency"]))
