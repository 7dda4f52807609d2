"""Charts' figures as tables (for whoever cannot see a chart), and charts kept until the next change."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max

from core.models import AuditEntry


@dataclass(frozen=True)
class ChartTable:
    """A chart's figures as a table, for whoever cannot see the chart (screen readers, print)."""

    columns: list[str]
    rows: list[tuple[str, list]]


def chart_table(chart: dict) -> ChartTable:
    """`chart` ({"labels": [...], "datasets": [{"label", "data"}]}) as a table: a row per label."""
    datasets = chart.get("datasets", [])
    columns = [str(dataset.get("label", "")) for dataset in datasets]
    rows = [
        (str(label), [dataset["data"][i] if i < len(dataset["data"]) else "" for dataset in datasets])
        for i, label in enumerate(chart.get("labels", []))
    ]
    return ChartTable(columns=columns, rows=rows)


# Charts are trends: a minute old is fresh enough, and they are drawn again at once
# after any change (see cached_until_change).
CHARTS_CACHE_SECONDS = 60


def cached_until_change(name: str, compute, seconds: int = CHARTS_CACHE_SECONDS):
    """compute(), kept for `seconds` and only until the next change (in the cache every process shares).

    Every change writes an audit row, so the newest audit id stands for the state
    of the data: one index lookup instead of the aggregates a chart runs.
    """
    newest = AuditEntry.objects.aggregate(newest=Max("id"))["newest"] or 0
    return cache.get_or_set(f"handoff:{name}:{newest}", compute, seconds)
