"""The fixed-in-release report: what a release fixes, for whom, and whom to tell.

Built from a fixed number of queries whatever the number of defects, tickets
and customers (see `release_report`).
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Prefetch, Q, Value
from django.db.models.functions import Concat

from defects.models import Defect, TicketDefectLink
from releases.models import Release, ReleaseNotice
from tickets.models import Contact, Customer, Ticket

FIXED_STATUSES = (Defect.Status.FIXED, Defect.Status.RELEASED)
_KEY_NAME_SEP = "\x01"


_TICKET_STATUS = dict(Ticket.Status.choices)


@dataclass
class ReportTicket:
    ticket: Ticket
    defects: list[Defect] = field(default_factory=list)

    @property
    def can_close(self) -> bool:
        """An open ticket whose problem this release fixes can now be closed."""
        return self.ticket.is_open

    @property
    def status_label(self) -> str:
        """The ticket's status as shown (get_status_display rebuilds its choices on every call)."""
        return _TICKET_STATUS.get(self.ticket.status, self.ticket.status)

    @property
    def defect_keys(self) -> str:
        return ", ".join(d.key for d in self.defects)


@dataclass
class ReportContact:
    contact: Contact
    tickets: list[Ticket] = field(default_factory=list)
    notice: ReleaseNotice | None = None

    @property
    def notified_at(self) -> datetime | None:
        return self.notice.sent_at if self.notice else None


@dataclass
class UpgradeAdvice:
    customer_id: int
    customer_name: str
    version: str
    gains: list[Defect] = field(default_factory=list)


@dataclass
class ReportCustomer:
    customer: Customer
    tickets: list[ReportTicket] = field(default_factory=list)
    contacts: list[ReportContact] = field(default_factory=list)
    version: str | None = None


@dataclass
class ReleaseReport:
    release: Release
    defects: list[Defect]
    customers: list[ReportCustomer]
    upgrades: list[UpgradeAdvice]
    customer_filter: Customer | None = None

    @property
    def contacts(self) -> list[ReportContact]:
        return [c for customer in self.customers for c in customer.contacts]


def _fixed_defects(release: Release, customer: Customer | None) -> list[Defect]:
    links = TicketDefectLink.objects.select_related(
        "ticket", "ticket__customer", "ticket__contact", "ticket__version", "ticket__assignee"
    ).order_by("ticket__number", "pk")
    defects = Defect.objects.filter(fixed_in_release=release, status__in=FIXED_STATUSES)
    if customer is not None:
        links = links.filter(ticket__customer=customer)
        defects = defects.filter(
            pk__in=TicketDefectLink.objects.filter(ticket__customer=customer).values("defect_id")
        )
    return list(
        defects.select_related("team", "component")
        .prefetch_related(Prefetch("ticket_links", queryset=links, to_attr="report_links"))
        .order_by("severity", "key")
    )


def _customers(defects: list[Defect]) -> list[ReportCustomer]:
    by_customer: dict[int, ReportCustomer] = {}
    by_ticket: dict[int, ReportTicket] = {}
    for defect in defects:
        for link in defect.report_links:
            ticket = link.ticket
            entry = by_customer.setdefault(ticket.customer_id, ReportCustomer(customer=ticket.customer))
            row = by_ticket.get(ticket.pk)
            if row is None:
                row = by_ticket[ticket.pk] = ReportTicket(ticket=ticket)
                entry.tickets.append(row)
            row.defects.append(defect)
    return sorted(by_customer.values(), key=lambda c: c.customer.name.lower())


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
        release=release, contact_id__in=[c.contact.pk for e in customers for c in e.contacts]
    )
    by_contact = {notice.contact_id: notice for notice in notices}
    for entry in customers:
        for recipient in entry.contacts:
            recipient.notice = by_contact.get(recipient.contact.pk)


def _reported_versions(release: Release, customer: Customer | None) -> dict[int, tuple[str, str, str]]:
    """customer id -> (customer name, newest version name, its sort key) reported on the product."""
    rows = Ticket.objects.filter(product_id=release.product_id, version__isnull=False)
    if customer is not None:
        rows = rows.filter(customer=customer)
    # One row per customer, aggregated in the database (an index-only scan of
    # ticket_product_customer_ver): the newest version each reported, as its sort key
    # and name joined by a separator that sorts below any key character, so Max picks
    # the highest key (plain, code point order, as the keys are compared everywhere).
    newest = (
        rows.order_by()
        .values("customer_id", "customer__name")
        .annotate(newest=Max(Concat("version__sort_key", Value(_KEY_NAME_SEP), "version__name")))
        .values_list("customer_id", "customer__name", "newest")
    )
    versions: dict[int, tuple[str, str, str]] = {}
    for customer_id, name, key_and_name in newest:
        key, version = key_and_name.split(_KEY_NAME_SEP, 1)
        versions[customer_id] = (name, version, key)
    return versions


def _upgrades(release: Release, versions: dict[int, tuple[str, str, str]]) -> list[UpgradeAdvice]:
    """Customers on a version older than `release`, each with the fixes between their version and it."""
    behind = {cid: v for cid, v in versions.items() if v[2] < release.version_key}
    if not behind:
        return []
    oldest = min(v[2] for v in behind.values())
    # Fixes shipped after the oldest reported version, up to and including this release:
    # the few releases first, then their fixes through the defects' fixed_in_release
    # index, each fix given its release object (thousands of fixes, a few dozen releases).
    shipped = Release.objects.filter(
        product_id=release.product_id, version_key__gt=oldest, version_key__lte=release.version_key
    ).filter(Q(status=Release.Status.RELEASED) | Q(pk=release.pk))
    releases = {r.pk: r for r in shipped.only("id", "version", "version_key")}
    gains = list(
        Defect.objects.filter(fixed_in_release__in=shipped.values("pk"), status__in=FIXED_STATUSES)
        # Only what the advice shows (API and page).
        .only("id", "key", "title", "severity", "fixed_in_release")
        .order_by("fixed_in_release__version_key", "severity", "key")
    )
    cache_release = Defect._meta.get_field("fixed_in_release").set_cached_value
    for defect in gains:
        cache_release(defect, releases[defect.fixed_in_release_id])
    # `gains` is sorted by release version, so a customer's gains are the tail
    # after its own version: a binary search each, and one list per version,
    # instead of filtering every fix for every customer.
    keys = [d.fixed_in_release.version_key for d in gains]
    tails: dict[str, list[Defect]] = {}
    advice = [
        UpgradeAdvice(
            customer_id=cid, customer_name=name, version=version,
            gains=tails.setdefault(key, gains[bisect_right(keys, key):]),
        )
        for cid, (name, version, key) in behind.items()
    ]
    return sorted(advice, key=lambda a: a.customer_name.lower())


def release_report(release: Release, *, customer: Customer | None = None) -> ReleaseReport:
    """The report for `release`, optionally for one customer. Seven queries, whatever the size."""
    defects = _fixed_defects(release, customer)
    customers = _customers(defects)
    attach_contacts(release, customers)
    versions = _reported_versions(release, customer)
    for entry in customers:
        if entry.customer.pk in versions:
            entry.version = versions[entry.customer.pk][1]
    return ReleaseReport(
        release=release, defects=defects, customers=customers,
        upgrades=_upgrades(release, versions), customer_filter=customer,
    )
