"""Charts' figures as tables, for whoever cannot see a chart (screen readers, print)."""

from dataclasses import dataclass


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
