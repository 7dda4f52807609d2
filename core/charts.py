"""Charts' figures as tables (for whoever cannot see a chart), and charts kept until the next change."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

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


def cached_until_change(name: str, compute, seconds: int = CHARTS_CACHE_SECONDS, *, also: tuple = ()):
    """compute(), kept for `seconds` and only until the next change (in the cache every process shares).

    Every change writes an audit row, so the newest audit id stands for the state
    of the data: one index lookup instead of the aggregates a chart runs. `also`
    names models whose rows can be written without one (a conversion's links, a
    scan's first releases): their newest ids are part of the key too, read in
    the same query.
    """
    return cache.get_or_set(f"handoff:{name}:{data_version(*also)}", compute, seconds)


def data_version(*also) -> str:
    """The state of the data as a cache key's part: the newest audit row's id, and the newest id
    of each model in `also` (for rows written without an audit row), in one query."""
    return ":".join(str(n or 0) for n in newest_ids(AuditEntry, *also))


def newest_ids(*models) -> tuple:
    """The newest id of each model's table (None for an empty one), in one query: one index lookup each."""
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"(SELECT MAX({quote(m._meta.pk.column)}) FROM {quote(m._meta.db_table)})" for m in models
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return cursor.fetchone()
