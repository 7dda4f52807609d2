"""The code traceability bench runs end to end on a small repository."""

import pytest

from tools.bench.git_bench import bench


@pytest.mark.django_db
def test_the_git_bench_builds_scans_and_reports_its_figures():
    lines: list[str] = []
    figures = bench(commits=600, new_commits=20, out=lines.append)
    assert set(figures.timings) == {"first scan", "incremental scan", "first releases"}
    assert any("first scan" in line and ("ok" in line or "SLOW" in line) for line in lines)
