"""The report's fixes and the customers to tell: their tickets, contacts and notices.

Every link of the fixes is read once as plain integers; the fixes' counts, the
affected customers and the tickets of the customers read all come from them.
"""

from dataclasses import dataclass

from django.db.models import Q

from defects.models import Defect
from releases.models import Release, ReleaseNotice
from releases.selectors import FIXED_STATUSES, release_fix_links
from releases.services.report.code import CodeAdvice, highest
from releases.services.report.rows import Fix, ReportContact, ReportCustomer, ReportTicket
from tickets.models import Contact, Customer, Ticket


@dataclass
class Links:
    """Every (defect, ticket, customer) link of the fixes, and the fixes themselves, as plain values.

    Plain so that they are kept cheaply between requests (release_report's
    `fixes_and_links`): a release of a thousand fixes has a few thousand links.
    """

    rows: list[tuple[int, int, int]]
    # (id, name) of every customer linked, by name.
    customers: list[tuple[int, str]]
    # (id, key, title, severity, status) of each defect fixed in the release, most severe first.
    fixed: list[tuple[int, str, str, str, str]]

    @classmethod
    def read(cls, release: Release) -> "Links":
        rows = release_fix_links(release).values_list(
            "defect_id", "ticket_id", "ticket__customer_id", "ticket__customer__name"
        )
        names = {}
        links = []
        for defect_id, ticket_id, customer_id, name in rows:
            links.append((defect_id, ticket_id, customer_id))
            names[customer_id] = name
        fixed = list(
            Defect.objects.filter(fixed_in_release=release, status__in=FIXED_STATUSES)
            .order_by("severity", "key")
            .values_list("id", "key", "title", "severity", "status")
        )
        return cls(links, sorted(names.items(), key=lambda c: (c[1].lower(), c[0])), fixed)

    def only_customer(self, customer_id: int) -> list[tuple[int, int, int]]:
        return [row for row in self.rows if row[2] == customer_id]


def release_fixes(fixed: list[tuple], links: list[tuple[int, int, int]], *, narrowed: bool) -> list[Fix]:
    """The fixes (Links.fixed), each counting its linked tickets and customers among `links`.

    When the report is narrowed to a customer, only that customer's fixes.
    """
    tickets: dict[int, int] = {}
    customers: dict[int, set[int]] = {}
    for defect_id, _, customer_id in links:
        tickets[defect_id] = tickets.get(defect_id, 0) + 1
        customers.setdefault(defect_id, set()).add(customer_id)
    return [
        Fix(pk, key, title, severity, status, tickets.get(pk, 0), len(customers.get(pk, ())))
        for pk, key, title, severity, status in fixed
        if not narrowed or pk in tickets
    ]


def customer_entries(
    release: Release, customers: list[Customer], defects: list[Fix], links: list[tuple[int, int, int]],
    *, any_notice: bool,
) -> list[ReportCustomer]:
    """Each customer's tickets that the fixes close, and whom to tell.

    A customer's tickets come under their most severe fix first, then by
    number. Each fix also gets these tickets (`Fix.tickets`), by number.
    """
    entries = {c.pk: ReportCustomer(customer=c) for c in customers}
    if not entries:
        return []
    order = {d.pk: n for n, d in enumerate(defects)}
    by_defect = {d.pk: d for d in defects}
    fixes: dict[int, list[int]] = {}
    for defect_id, ticket_id, customer_id in links:
        if customer_id in entries and defect_id in order:
            fixes.setdefault(ticket_id, []).append(defect_id)
    tickets = (
        Ticket.objects.filter(pk__in=list(fixes))
        .select_related("version")
        .only("id", "number", "subject", "status", "customer_id", "contact_id", "version__name")
        .order_by("number")
    )
    rows = []
    for ticket in tickets:
        row = ReportTicket(ticket=ticket, defects=[by_defect[d] for d in sorted(fixes[ticket.pk], key=order.get)])
        for defect in row.defects:
            defect.tickets.append(ticket)
        rows.append(row)
    rows.sort(key=lambda row: (order[row.defects[0].pk], row.ticket.number))
    for row in rows:
        entries[row.ticket.customer_id].tickets.append(row)
    found = list(entries.values())
    attach_contacts(release, found, any_notice=any_notice)
    return found


def attach_contacts(release: Release, customers: list[ReportCustomer], *, any_notice: bool = True) -> None:
    """A ticket's own contact hears about it; a ticket naming nobody goes to every contact of its customer.

    The contacts are read here, the customers' and the ones the tickets name (the
    tickets need not carry theirs). `any_notice=False` (the caller knows the
    release has none) skips looking up their notices.
    """
    named_ids = {row.ticket.contact_id for entry in customers for row in entry.tickets if row.ticket.contact_id}
    contacts = Contact.objects.filter(Q(customer_id__in=[c.customer.pk for c in customers]) | Q(pk__in=named_ids))
    everyone: dict[int, list[Contact]] = {}
    by_id: dict[int, Contact] = {}
    for contact in contacts.order_by("name", "pk"):
        by_id[contact.pk] = contact
        everyone.setdefault(contact.customer_id, []).append(contact)
    for entry in customers:
        recipients: dict[int, ReportContact] = {}
        for row in entry.tickets:
            ticket = row.ticket
            named = [by_id[ticket.contact_id]] if ticket.contact_id else everyone.get(entry.customer.pk, [])
            for contact in named:
                recipients.setdefault(contact.pk, ReportContact(contact=contact)).tickets.append(ticket)
        entry.contacts = sorted(recipients.values(), key=lambda c: (c.contact.name.lower(), c.contact.pk))
    if not any_notice:
        return
    notices = ReleaseNotice.objects.filter(
        release=release, kind=ReleaseNotice.Kind.FIX,
        contact_id__in=[c.contact.pk for e in customers for c in e.contacts],
    )
    by_contact = {notice.contact_id: notice for notice in notices}
    for entry in customers:
        for recipient in entry.contacts:
            recipient.notice = by_contact.get(recipient.contact.pk)


def attach_upgrades(release: Release, customers: list[ReportCustomer]) -> None:
    """Set each customer's and each contact's `upgrade`: the release to take for the fixes of their tickets.

    From the newest version the customer runs (Newest.attach sets it first):
    a backport of its own line when the code says so (2.3.4 -> 2.3.5, not
    2.4.1), else the report's release. Two queries at most, whatever the
    number of customers (one when no fix has first releases).
    """
    advice = CodeAdvice.read(sorted({d.pk for e in customers for row in e.tickets for d in row.defects}))
    for entry in customers:
        takes = {
            row.ticket.pk: [advice.take(d.pk, version=entry.version, fixed_in=release.version) for d in row.defects]
            for row in entry.tickets
        }
        entry.upgrade = highest([t for ts in takes.values() for t in ts], release.version)
        for recipient in entry.contacts:
            recipient.upgrade = highest(
                [t for ticket in recipient.tickets for t in takes.get(ticket.pk, [])], release.version
            )
