"""Figures for the manager reports, aggregated in the database.

Each function returns chart-ready data ({"labels": [...], "datasets": [...]})
from one or two queries whatever the number of rows.
"""

import statistics
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.charts import cached_until_change
from core.models import AuditEntry
from defects.models import Defect, Team, TicketDefectLink
from defects.severity import Severity
from releases.models import Release
from releases.selectors import FIXED_STATUSES
from tickets.models import Ticket

AGE_BUCKETS = [  # (label, younger than)
    ("Under 1 day", timedelta(days=1)),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    ("1-4 weeks", timedelta(days=28)),
    ("Over 4 weeks", None),
]


class PercentileCont(Aggregate):
    """PostgreSQL's median: percentile_cont(0.5) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def fixed_per_release(*, limit: int = 12) -> dict:
    """Defects fixed in each of the last `limit` releases shipped, oldest first."""
    # The releases first, then their fixes counted through the fixed_in_release index,
    # rather than every shipped release joined to all its defects.
    releases = list(
        Release.objects.filter(status=Release.Status.RELEASED).select_related("product")
        .order_by("-released_at", "-pk")[:limit]
    )[::-1]
    fixed = dict(
        Defect.objects.filter(fixed_in_release__in=[r.pk for r in releases], status__in=FIXED_STATUSES)
        .values("fixed_in_release").annotate(n=Count("fixed_in_release")).order_by()
        .values_list("fixed_in_release", "n")
    )
    for release in releases:
        release.fixed = fixed.get(release.pk, 0)
    return {
        "labels": [f"{r.product.name} {r.version}" for r in releases],
        "datasets": [{"label": "Defects fixed", "data": [r.fixed for r in releases]}],
    }


def open_by_severity_and_team() -> dict:
    """Open defects per team (Unrouted for none), one dataset per severity."""
    # Grouped by team id and counting `severity`: the team, status and severity index
    # answers alone (no table rows, no join); the few team names are read apart.
    rows = list(
        Defect.objects.filter(status__in=Defect.OPEN_STATUSES)
        .values("team_id", "severity").annotate(n=Count("severity")).order_by()
    )
    names = dict(Team.objects.filter(pk__in={r["team_id"] for r in rows if r["team_id"]}).values_list("id", "name"))
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        team = names.get(row["team_id"], "Unrouted")
        counts[(team, row["severity"])] = counts.get((team, row["severity"]), 0) + row["n"]
    named = sorted({names[r["team_id"]] for r in rows if r["team_id"] in names})
    teams = named + (["Unrouted"] if any(r["team_id"] not in names for r in rows) else [])
    return {
        "labels": teams,
        "datasets": [
            {"label": str(sev.label), "data": [counts.get((team, sev.value), 0) for team in teams]}
            for sev in Severity
        ],
    }


def _fixed_at():
    """When a defect first moved to `fixed`, read from its audit trail."""
    return Subquery(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Defect),
            object_id=OuterRef("pk"),
            field="status",
            new=Defect.Status.FIXED,
        )
        .order_by()
        .values("object_id")
        .annotate(first=Min("at"))
        .values("first")[:1]
    )


def median_days_to_fix(*, months: int = 12, now: datetime | None = None) -> dict:
    """Median days from escalation (the defect's creation) to its fix, per month of the fix."""
    now = now or timezone.now()
    since = (now - timedelta(days=31 * (months - 1))).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Only the defects with a move to `fixed` since then (a few hundred audit rows,
    # by the audit_field_change index) get their first fix looked up, not every defect.
    recent = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Defect), field="status", new=Defect.Status.FIXED, at__gte=since,
    ).values("object_id")
    fixed = Defect.objects.filter(pk__in=recent).annotate(fixed_at=_fixed_at()).filter(fixed_at__gte=since)
    medians: dict[str, float] = {}
    if settings.IS_POSTGRES:
        took = ExpressionWrapper(F("fixed_at") - F("created_at"), output_field=DurationField())
        rows = (
            fixed.annotate(month=TruncMonth("fixed_at"))
            .values("month")
            .annotate(median=PercentileCont(took, output_field=DurationField()))
            .order_by("month")
        )
        for row in rows:
            medians[row["month"].strftime("%Y-%m")] = row["median"].total_seconds() / 86400
    else:
        # SQLite has no percentile: the value list is bounded by the months asked for.
        per_month: dict[str, list[float]] = {}
        for created, fixed_at in fixed.values_list("created_at", "fixed_at"):
            if isinstance(fixed_at, str):  # SQLite returns a subquery's datetime as text
                fixed_at = datetime.fromisoformat(fixed_at)
                if timezone.is_naive(fixed_at):
                    fixed_at = timezone.make_aware(fixed_at, dt_timezone.utc)
            month = timezone.localtime(fixed_at).strftime("%Y-%m")
            per_month.setdefault(month, []).append((fixed_at - created).total_seconds() / 86400)
        medians = {m: statistics.median(v) for m, v in sorted(per_month.items())}
    labels = sorted(medians)
    return {
        "labels": labels,
        "datasets": [{"label": "Median days to fix", "data": [round(medians[m], 1) for m in labels]}],
    }


def awaiting_engineering_by_age(*, now: datetime | None = None) -> dict:
    """Tickets awaiting engineering, counted by how long since they were escalated."""
    now = now or timezone.now()
    # Each waiting ticket's latest link, grouped in the database, then counted per
    # bucket over those rows (one query; no lookup per ticket).
    qs = (
        TicketDefectLink.objects.filter(ticket__status=Ticket.Status.AWAITING_ENGINEERING)
        .values("ticket_id")
        .annotate(escalated_at=Max("linked_at"))
        .order_by()
    )
    buckets, older = {}, None
    for index, (_label, younger) in enumerate(AGE_BUCKETS):
        condition = Q()
        if younger is not None:
            condition &= Q(escalated_at__gt=now - younger)
        if older is not None:
            condition &= Q(escalated_at__lte=now - older)
        buckets[f"b{index}"] = Count("ticket_id", filter=condition)
        older = younger
    totals = qs.aggregate(**buckets)
    return {
        "labels": [label for label, _ in AGE_BUCKETS],
        "datasets": [
            {"label": "Tickets awaiting engineering", "data": [totals[f"b{i}"] for i in range(len(AGE_BUCKETS))]}
        ],
    }


def manager_charts_cached() -> dict:
    """manager_charts(), kept until the next change (core.charts.cached_until_change)."""
    return cached_until_change("manager-charts", manager_charts)


def manager_charts() -> dict:
    return {
        "fixed_per_release": fixed_per_release(),
        "open_by_severity_and_team": open_by_severity_and_team(),
        "median_days_to_fix": median_days_to_fix(),
        "awaiting_by_age": awaiting_engineering_by_age(),
    }

