"""The release report as a page: bounded, whatever the size of the release.

The full report (`releases.services.report.release_report`) lists every
affected customer with every ticket and contact, and every fix each customer
on an older version would gain: the CSV, the report API and outreach use it.
The page shows the same report in parts a reader can take in:

- the defects fixed, each with its linked tickets and customers counted in
  the database;
- one page of the customers to tell (by name), with their tickets, contacts,
  notices and reported versions read for that page only;
- the upgrade advice as one row per version run: how many customers run it
  and the first few names, how many fixes they would gain by severity, and
  the most severe of them.

The same number of queries for 2 or 2,000 customers.
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import Lower, RowNumber

from defects.models import Defect, TicketDefectLink
from releases.models import Release
from releases.services.outreach import notice_progress
from releases.services.report import FIXED_STATUSES, ReportCustomer, ReportTicket, attach_contacts
from tickets.models import Customer, ProductVersion, Ticket

CUSTOMERS_PER_PAGE = 25
ADVICE_NAMES = 5
ADVICE_FIXES = 5

# (id, name, sort key) of a product version.
Version = tuple[int, str, str]


@dataclass(slots=True)
class Fix:
    """A defect as the page shows it: read as plain values, hundreds per page."""

    pk: int
    key: str
    title: str
    severity: str
    status: str = ""
    # The defects table: its linked tickets and customers (a narrowed report: that customer's).
    linked_tickets: int = 0
    linked_customers: int = 0
    # The upgrade advice: the version that shipped it.
    fixed_in_version: str = ""
    url: str = ""

    @property
    def status_label(self) -> str:
        return _DEFECT_STATUS.get(self.status, self.status)


_DEFECT_STATUS = dict(Defect.Status.choices)


@dataclass
class AdviceRow:
    """The customers whose newest reported version is `version`, and what upgrading gains them."""

    version: str
    customer_count: int
    customer_names: list[str]
    gains_by_severity: dict[str, int] = field(default_factory=dict)
    gains: list[Fix] = field(default_factory=list)

    @property
    def more_customers(self) -> int:
        return self.customer_count - len(self.customer_names)

    @property
    def gain_count(self) -> int:
        return sum(self.gains_by_severity.values())

    @property
    def more_gains(self) -> int:
        return self.gain_count - len(self.gains)

    @property
    def by_severity(self) -> str:
        """The gains counted per severity, most severe first: "3 S1, 12 S2"."""
        return ", ".join(f"{n} {severity}" for severity, n in sorted(self.gains_by_severity.items()))


@dataclass
class ReportPage:
    release: Release
    defects: list[Fix]
    customers: Page
    upgrades: list[AdviceRow]
    customer_filter: Customer | None = None
    # (id, name) of every affected customer, by name: the page's customer filter offers them.
    affected: list[tuple[int, str]] = field(default_factory=list)
    # The release's notices counted per state (outreach.notice_progress).
    progress: dict[str, int] = field(default_factory=dict)

    @property
    def customer_count(self) -> int:
        return self.customers.paginator.count


def _fix_links(release: Release) -> QuerySet[TicketDefectLink]:
    """The links of the tickets to the defects fixed in `release`."""
    return TicketDefectLink.objects.filter(defect__fixed_in_release=release, defect__status__in=FIXED_STATUSES)


def affected_customers(release: Release) -> QuerySet[Customer]:
    """Customers with a ticket linked to a defect fixed in `release`, by name."""
    customer_ids = _fix_links(release).values("ticket__customer_id")
    return Customer.objects.filter(pk__in=customer_ids).order_by(Lower("name"), "pk")


@dataclass
class _Links:
    """Every (defect, ticket, customer) link of the fixes, read once as three integers each.

    The defects' counts, the affected customers and a page's tickets all come
    from these rows, instead of joining the links to their tickets three times.
    """

    rows: list[tuple[int, int, int]]
    # (id, name) of every customer linked, by name (as the full report sorts them).
    customers: list[tuple[int, str]]

    @classmethod
    def read(cls, release: Release) -> "_Links":
        rows = _fix_links(release).values_list(
            "defect_id", "ticket_id", "ticket__customer_id", "ticket__customer__name"
        )
        names = {}
        links = []
        for defect_id, ticket_id, customer_id, name in rows:
            links.append((defect_id, ticket_id, customer_id))
            names[customer_id] = name
        return cls(links, sorted(names.items(), key=lambda c: (c[1].lower(), c[0])))

    def only_customers(self, customer_ids) -> list[tuple[int, int, int]]:
        return [row for row in self.rows if row[2] in customer_ids]


def _defects(release: Release, links: list[tuple[int, int, int]], narrowed: bool) -> list[Fix]:
    """The fixes, each counting its linked tickets and customers among `links`.

    When the report is narrowed to a customer, only that customer's fixes.
    """
    tickets: dict[int, int] = {}
    customers: dict[int, set[int]] = {}
    for defect_id, _, customer_id in links:
        tickets[defect_id] = tickets.get(defect_id, 0) + 1
        customers.setdefault(defect_id, set()).add(customer_id)
    rows = (
        Defect.objects.filter(fixed_in_release=release, status__in=FIXED_STATUSES)
        .order_by("severity", "key")
        .values_list("id", "key", "title", "severity", "status")
    )
    return [
        Fix(pk, key, title, severity, status, tickets.get(pk, 0), len(customers.get(pk, ())))
        for pk, key, title, severity, status in rows
        if not narrowed or pk in tickets
    ]


def _customer_entries(
    release: Release, customers: list[Customer], defects: list[Fix], links: list[tuple[int, int, int]],
    any_notice: bool,
) -> list[ReportCustomer]:
    """Each customer's tickets that the fixes close, in the full report's order, and whom to tell."""
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
        .only("id", "number", "subject", "status", "customer_id", "contact_id")
        .order_by()
    )
    rows = []
    for ticket in tickets:
        row = ReportTicket(ticket=ticket, defects=[by_defect[d] for d in sorted(fixes[ticket.pk], key=order.get)])
        rows.append(row)
    # As the full report: tickets under their most severe fix first, then by number.
    rows.sort(key=lambda row: (order[row.defects[0].pk], row.ticket.number))
    for row in rows:
        entries[row.ticket.customer_id].tickets.append(row)
    page = list(entries.values())
    attach_contacts(release, page, any_notice=any_notice)
    return page


def _versions(release: Release) -> list[Version]:
    """The product's versions, oldest first (sort keys compare as plain text, as everywhere)."""
    rows = ProductVersion.objects.filter(product_id=release.product_id).values_list("id", "name", "sort_key")
    return sorted(rows, key=lambda v: v[2])


class _Newest:
    """Each customer's newest version reported on the product, computed in the database.

    The aggregate reads (customer, version id) from the (product, customer,
    version) index and compares integers, not text keys: the version ids
    themselves when they grow with the versions (versions added oldest first,
    the usual case), otherwise each version's place, oldest first.
    """

    def __init__(self, release: Release, versions: list[Version]):
        self.release = release
        self.versions = versions
        ids = [v[0] for v in versions]
        if ids == sorted(ids):
            self.token = Max("version_id")
            self.tokens = ids
        else:
            self.token = Max(Case(
                *[When(version_id=pk, then=Value(n)) for n, pk in enumerate(ids)], output_field=IntegerField()
            ))
            self.tokens = list(range(len(ids)))
        self.version_of = dict(zip(self.tokens, versions))

    def per_customer(self) -> QuerySet:
        """(customer_id, newest) rows, `newest` a token that version_of turns into the version."""
        return (
            Ticket.objects.filter(product_id=self.release.product_id, version__isnull=False)
            .order_by()
            .values("customer_id")
            .annotate(newest=self.token)
        )

    def not_after(self, place: int) -> QuerySet:
        """Customers whose newest version is one of the first `place` versions."""
        return self.per_customer().filter(newest__lte=self.tokens[place - 1])


def _attach_versions(newest: _Newest, entries: list[ReportCustomer]) -> None:
    by_customer = {e.customer.pk: e for e in entries}
    if not newest.versions or not by_customer:
        return
    rows = newest.per_customer().filter(customer_id__in=list(by_customer)).values_list("customer_id", "newest")
    for customer_id, token in rows:
        if token in newest.version_of:  # a version of another product would be a data error: not shown
            by_customer[customer_id].version = newest.version_of[token][1]


def _version_runs(per_customer: QuerySet) -> list[tuple[int, int, str]]:
    """(newest, customers on it, name) for the first few customers of each version, by name.

    Counted and cut in the database: a few rows per version whatever the
    number of customers.
    """
    inner, params = per_customer.values_list("customer_id", "newest").query.sql_with_params()
    table = connection.ops.quote_name(Customer._meta.db_table)
    sql = (
        "SELECT newest, n, name FROM ("
        " SELECT r.newest AS newest, c.name AS name, COUNT(*) OVER (PARTITION BY r.newest) AS n,"
        "  ROW_NUMBER() OVER (PARTITION BY r.newest ORDER BY LOWER(c.name), c.id) AS place"
        f" FROM ({inner}) r INNER JOIN {table} c ON c.id = r.customer_id"
        ") runs WHERE place <= %s ORDER BY newest, place"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, ADVICE_NAMES))
        return cursor.fetchall()


def _upgrades(release: Release, newest: _Newest, customer: Customer | None) -> list[AdviceRow]:
    """One row per version older than `release` that is some customer's newest, oldest first."""
    older = bisect_left([v[2] for v in newest.versions], release.version_key)
    if not older:
        return []
    per_customer = newest.not_after(older)
    if customer is not None:
        per_customer = per_customer.filter(customer_id=customer.pk)
    runs: dict[int, tuple[str, AdviceRow]] = {}
    for token, count, name in _version_runs(per_customer):
        if token not in newest.version_of:
            continue
        _, version, key = newest.version_of[token]
        _, row = runs.setdefault(token, (key, AdviceRow(version=version, customer_count=count, customer_names=[])))
        row.customer_names.append(name)
    ordered = [runs[token] for token in sorted(runs, key=lambda t: runs[t][0])]
    if ordered:
        _attach_gains(release, ordered)
    return [row for _, row in ordered]


def _attach_gains(release: Release, runs: list[tuple[str, AdviceRow]]) -> None:
    """Each run gains the fixes shipped after its version, up to and including `release`.

    Three queries whatever the number of fixes: the few releases, then from
    the `defect_release_fix_order` index (releases migration 0003) their fixes
    counted per severity, then only the fixes some run shows, the most severe
    first.
    """
    shipped = (
        Release.objects.filter(
            product_id=release.product_id, version_key__gt=runs[0][0], version_key__lte=release.version_key
        )
        .filter(Q(status=Release.Status.RELEASED) | Q(pk=release.pk))
        .values_list("id", "version", "version_key")
    )
    # release key -> (release id, version), and (release key, severity) -> fixes.
    releases = {key: (release_id, version) for release_id, version, key in shipped}
    key_of = {release_id: key for key, (release_id, _) in releases.items()}
    counted = (
        Defect.objects.filter(fixed_in_release_id__in=list(key_of), status__in=FIXED_STATUSES)
        .order_by()
        .values_list("fixed_in_release_id", "severity")
        .annotate(n=Count("*"))
    )
    counts = {(key_of[release_id], severity): n for release_id, severity, n in counted}
    keys = sorted(releases)
    severities = sorted({s for _, s in counts})
    # Per severity, the fixes of each release and of all the releases after it.
    of = {s: [counts.get((k, s), 0) for k in keys] for s in severities}
    after = {s: [sum(n[i:]) for i in range(len(keys) + 1)] for s, n in of.items()}
    # A run shows its ADVICE_FIXES most severe gains (severity, then release, then key):
    # from each release, the first of its fixes in (severity, key) order.
    wanted: dict[int, int] = {}
    for key, row in runs:
        start = bisect_right(keys, key)
        row.gains_by_severity = {s: after[s][start] for s in severities if after[s][start]}
        left = ADVICE_FIXES
        for rank, severity in enumerate(severities):
            for i in range(start, len(keys)):
                if not left:
                    break
                take = min(left, of[severity][i])
                if take:
                    left -= take
                    more_severe = sum(of[s][i] for s in severities[:rank])
                    release_id = releases[keys[i]][0]
                    wanted[release_id] = max(wanted.get(release_id, 0), more_severe + take)
    if not wanted:
        return
    in_fix_order = Window(RowNumber(), partition_by=[F("fixed_in_release_id")], order_by=[F("severity"), F("key")])
    most = max(wanted.values())
    first = (
        Defect.objects.filter(fixed_in_release_id__in=list(wanted), status__in=FIXED_STATUSES)
        .annotate(place=in_fix_order)
        .filter(place__lte=most)
        .order_by()
        .values("key")
        # The bound tells the planner these are a few rows, to look up by key one by
        # one: it cannot tell from the window alone, and would read every defect.
        [: most * len(wanted)]
    )
    version_of = {release_id: (key, version) for key, (release_id, version) in releases.items()}
    fixes = (
        Defect.objects.filter(key__in=first)
        .order_by()
        .values_list("id", "key", "title", "severity", "fixed_in_release_id")
    )
    candidates = sorted(
        (
            (severity, version_of[release_id][0], key, Fix(pk, key, title, severity, fixed_in_version=version))
            for pk, key, title, severity, release_id in fixes
            for version in [version_of[release_id][1]]
        ),
        key=lambda c: c[:3],
    )
    for key, row in runs:
        row.gains = [c[3] for c in candidates if c[1] > key][:ADVICE_FIXES]


def release_upgrade_advice(release: Release, *, customer: Customer | None = None) -> list[AdviceRow]:
    """The upgrade advice alone (the report page loads it after the rest of the page)."""
    return _upgrades(release, _Newest(release, _versions(release)), customer)


def release_report_page(
    release: Release, *, customer: Customer | None = None, page: int | str | None = 1, with_upgrades: bool = True
) -> ReportPage:
    """The report page for `release` (optionally one customer's part): page `page` of the customers.

    `with_upgrades=False` leaves the upgrade advice out (see release_upgrade_advice).
    """
    links = _Links.read(release)
    affected = links.customers
    shown_links = links.rows if customer is None else links.only_customers({customer.pk})
    defects = _defects(release, shown_links, narrowed=customer is not None)
    shown = affected if customer is None else [c for c in affected if c[0] == customer.pk]
    customer_page = Paginator(shown, CUSTOMERS_PER_PAGE).get_page(page)
    customers = [Customer(pk=pk, name=name) for pk, name in customer_page.object_list]
    progress = notice_progress(release)
    entries = _customer_entries(release, customers, defects, shown_links, any_notice=progress["total"] > 0)
    newest = _Newest(release, _versions(release))
    _attach_versions(newest, entries)
    customer_page.object_list = entries
    return ReportPage(
        release=release, defects=defects, customers=customer_page, affected=affected, progress=progress,
        upgrades=_upgrades(release, newest, customer) if with_upgrades else [], customer_filter=customer,
    )
