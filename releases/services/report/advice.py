"""Each customer's newest version, and the upgrade advice built on it.

The newest version a customer reported on the release's product is worked out
in one place (`Newest`), in the database: the report's customers read it one
by one, the advice grouped per version.
"""

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import replace

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from defects.models import Defect
from releases.models import Release
from releases.selectors import FIXED_STATUSES
from releases.services.report.code import HELD, CodeAdvice, Take, highest
from releases.services.report.rows import AdviceRow, Fix, ReportCustomer
from tickets.models import Customer, ProductVersion, Ticket

# (id, name, sort key) of a product version.
Version = tuple[int, str, str]


class Newest:
    """Each customer's newest version reported on the release's product.

    Versions are ordered by their sort keys compared as plain text (code
    points, as release keys are compared everywhere), equal keys by id. The
    aggregate reads (customer, version id) from the (product, customer,
    version) index and compares integers, not text: the version ids themselves
    when they grow with the versions (versions added oldest first, the usual
    case), otherwise each version's place, oldest first.
    """

    def __init__(self, release: Release):
        self.release = release
        rows = ProductVersion.objects.filter(product_id=release.product_id).values_list("id", "name", "sort_key")
        self.versions: list[Version] = sorted(rows, key=lambda v: (v[2], v[0]))
        ids = [v[0] for v in self.versions]
        if ids == sorted(ids):
            self.token = Max("version_id")
            self.tokens = ids
        else:
            self.token = Max(Case(
                *[When(version_id=pk, then=Value(n)) for n, pk in enumerate(ids)], output_field=IntegerField()
            ))
            self.tokens = list(range(len(ids)))
        self.version_of: dict[int, Version] = dict(zip(self.tokens, self.versions, strict=True))

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

    def attach(self, entries: list[ReportCustomer]) -> None:
        """Set each entry's `version`: its customer's newest version (None when it reported none)."""
        by_customer = {e.customer.pk: e for e in entries}
        if not self.versions or not by_customer:
            return
        rows = self.per_customer().filter(customer_id__in=list(by_customer)).values_list("customer_id", "newest")
        for customer_id, token in rows:
            if token in self.version_of:  # a version of another product would be a data error: not shown
                by_customer[customer_id].version = self.version_of[token][1]


def _version_runs(per_customer: QuerySet, names: int | None) -> list[tuple[int, int, int, str]]:
    """(newest, customers on it, customer id, name) for the customers of each version, by name.

    With `names`, only the first `names` customers of each version: counted and
    cut in the database, a few rows per version whatever the number of customers.
    """
    inner, params = per_customer.values_list("customer_id", "newest").query.sql_with_params()
    table = connection.ops.quote_name(Customer._meta.db_table)
    cut = " WHERE place <= %s" if names is not None else ""
    sql = (
        "SELECT newest, n, id, name FROM ("
        " SELECT r.newest AS newest, c.id AS id, c.name AS name, COUNT(*) OVER (PARTITION BY r.newest) AS n,"
        "  ROW_NUMBER() OVER (PARTITION BY r.newest ORDER BY LOWER(c.name), c.id) AS place"
        f" FROM ({inner}) r INNER JOIN {table} c ON c.id = r.customer_id"
        f") runs{cut} ORDER BY newest, place"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, names) if names is not None else params)
        return cursor.fetchall()


def upgrade_advice(
    release: Release, newest: Newest, *, customer: Customer | None, names: int | None, fixes: int | None
) -> list[AdviceRow]:
    """One row per version older than `release` that is some customer's newest, oldest first.

    `names` and `fixes` cut each row to its first customers and most severe
    fixes (the counts stay whole); None keeps them all.
    """
    older = bisect_left([v[2] for v in newest.versions], release.version_key)
    if not older:
        return []
    per_customer = newest.not_after(older)
    if customer is not None:
        per_customer = per_customer.filter(customer_id=customer.pk)
    rows: dict[int, AdviceRow] = {}
    for token, count, customer_id, name in _version_runs(per_customer, names):
        if token not in newest.version_of:
            continue
        _, version, key = newest.version_of[token]
        row = rows.setdefault(token, AdviceRow(version=version, version_key=key, customer_count=count))
        row.customers.append((customer_id, name))
    # Tokens grow with the versions: in token order is oldest first.
    ordered = [rows[token] for token in sorted(rows)]
    if ordered:
        _attach_gains(release, ordered, fixes)
    return ordered


def _attach_gains(release: Release, rows: list[AdviceRow], limit: int | None) -> None:
    """Each row gains the fixes shipped after its version, up to and including `release`.

    Three queries whatever the number of fixes: the few releases, then from
    the `defect_release_fix_order` index (releases migration 0003) their fixes
    counted per severity, then the fixes themselves: all of them, or with
    `limit` only those some row shows, the most severe first; and what the
    code says of them (_code_takes: a fixed number more).
    """
    shipped = (
        Release.objects.filter(
            product_id=release.product_id, version_key__gt=rows[0].version_key, version_key__lte=release.version_key
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
    for row in rows:
        start = bisect_right(keys, row.version_key)
        row.gains_by_severity = {s: after[s][start] for s in severities if after[s][start]}
    takes = _code_takes(release, rows, key_of, releases, keys, of)
    fixes = Defect.objects.filter(status__in=FIXED_STATUSES).order_by()
    if limit is None:
        fixes = fixes.filter(fixed_in_release_id__in=list(key_of))
    else:
        wanted = _most_severe(rows, keys, severities, of, limit)
        if not wanted:
            return
        releases_by_id = [releases[keys[i]][0] for i in range(len(keys))]
        fixes = fixes.filter(key__in=_first_fixes({releases_by_id[i]: n for i, n in wanted.items()}))
    version_of = {release_id: (key, version) for key, (release_id, version) in releases.items()}
    candidates = sorted(
        (
            Fix(pk, key, title, severity, fixed_in_version=version_of[release_id][1],
                fixed_in_key=version_of[release_id][0])
            for pk, key, title, severity, release_id in fixes.values_list(
                "id", "key", "title", "severity", "fixed_in_release_id"
            )
        ),
        key=lambda d: (d.severity, d.fixed_in_key, d.key),
    )
    for row, row_takes in zip(rows, takes, strict=True):
        gains = [
            replace(d, take=row_takes[d.pk]) if d.pk in row_takes else d
            for d in candidates
            if d.fixed_in_key > row.version_key and not (d.pk in row_takes and row_takes[d.pk] is HELD)
        ]
        row.gains = gains if limit is None else gains[:limit]


def _code_takes(
    release: Release, rows: list[AdviceRow], key_of: dict[int, str], releases: dict[str, tuple[int, str]],
    keys: list[str], of: dict[str, list[int]],
) -> list[dict[int, Take | None]]:
    """Per row, what the code says of its gains that have first releases: defect id -> the release to take.

    A gain the row's version already holds (a backport it runs) leaves its
    counts; each row gets `upgrade`, the one release that brings all its
    gains. Two queries whatever the number of fixes (one when no fix of these
    releases has first releases), and one more for the few that have.
    """
    window = Defect.objects.filter(fixed_in_release_id__in=list(key_of), status__in=FIXED_STATUSES)
    advice = CodeAdvice.read(window.values("id"))
    coded: list[tuple[int, str, str, str]] = []  # (id, severity, fixed-in key, fixed-in version)
    if advice.firsts:
        # The window again rather than its thousands of ids in an IN list, which cost more to plan than to run.
        coded = [
            (pk, severity, key_of[release_id], releases[key_of[release_id]][1])
            for pk, severity, release_id in window.values_list("id", "severity", "fixed_in_release_id")
            if pk in advice.firsts
        ]
    coded_in = Counter(key for _, _, key, _ in coded)
    # Fixes whose first releases read the same (most fixes of a release: no backport) get the same
    # answer for every version, so each version asks once per group, not once per fix.
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, severity, fixed_key, fixed_version in coded:
        groups[(advice.signature(pk), severity, fixed_key, fixed_version)].append(pk)
    result = []
    for row in rows:
        start = bisect_right(keys, row.version_key)
        row_takes: dict[int, Take | None] = {}
        group_takes: list[Take | None] = []
        for (_, severity, fixed_key, fixed_version), pks in groups.items():
            if fixed_key <= row.version_key:
                continue
            take = advice.take(pks[0], version=row.version, fixed_in=fixed_version)
            row_takes.update(dict.fromkeys(pks, take))
            group_takes.append(take)
            if take is HELD:
                left = row.gains_by_severity.get(severity, 0) - len(pks)
                if left > 0:
                    row.gains_by_severity[severity] = left
                else:
                    row.gains_by_severity.pop(severity, None)
        # A gain the code says nothing about is taken with the report's release, as the hand marks it.
        by_hand = any(sum(n[i] for n in of.values()) > coded_in[key] for i, key in enumerate(keys[start:], start))
        distinct = list(dict.fromkeys(group_takes))  # in the fixes' order
        row.upgrade = highest([*([Take.of(release.version)] if by_hand else []), *distinct], release.version)
        result.append(row_takes)
    return result


def _most_severe(rows, keys, severities, of, limit: int) -> dict[int, int]:
    """release place -> how many of its first fixes, in (severity, key) order, some row shows.

    A row shows its `limit` most severe gains (severity, then release, then
    key): from each release, the first of its fixes in (severity, key) order.
    """
    wanted: dict[int, int] = {}
    for row in rows:
        start = bisect_right(keys, row.version_key)
        left = limit
        for rank, severity in enumerate(severities):
            for i in range(start, len(keys)):
                if not left:
                    break
                take = min(left, of[severity][i])
                if take:
                    left -= take
                    more_severe = sum(of[s][i] for s in severities[:rank])
                    wanted[i] = max(wanted.get(i, 0), more_severe + take)
    return wanted


def _first_fixes(wanted: dict[int, int]) -> QuerySet:
    """The keys of the first fixes of each release in `wanted` (release id -> how many), in (severity, key) order."""
    in_fix_order = Window(RowNumber(), partition_by=[F("fixed_in_release_id")], order_by=[F("severity"), F("key")])
    most = max(wanted.values())
    return (
        Defect.objects.filter(fixed_in_release_id__in=list(wanted), status__in=FIXED_STATUSES)
        .annotate(place=in_fix_order)
        .filter(place__lte=most)
        .order_by()
        .values("key")
        # The bound tells the planner these are a few rows, to look up by key one by
        # one: it cannot tell from the window alone, and would read every defect.
        [: most * len(wanted)]
    )
