"""The code traceability bench: scan a 20,000-commit repository, then 500 new commits, then first releases.

The repository is written with `git fast-import` (seconds, not the minutes
20,000 `git commit` calls take): a main line with a fixing commit naming
DEF-n every 20 commits and a release tag every 500, and ten maintenance
branches cut from main's tags that carry backports of later fixes (the same
patch, a different message) and two patch releases each: 60 tags in all.
Targets: first scan < 30 s, incremental scan < 2 s, first releases of 1,000
fixes across 60 tags < 5 s.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TARGETS = {"first scan": 30.0, "incremental scan": 2.0, "first releases": 5.0}
FIX_EVERY = 20
MAIN_TAGS = 40
BRANCHES = 10
BACKPORTS_PER_BRANCH = 10
EPOCH = 1_700_000_000


@dataclass
class Figures:
    commits: int
    fixes: int
    tags: int
    timings: dict[str, float]


class _Stream:
    """A fast-import stream being written: commits with marks, tags by mark."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = EPOCH

    def data(self, text: str) -> None:
        raw = text.encode()
        self.parts.append(b"data %d\n%s\n" % (len(raw), raw))

    def commit(self, ref: str, message: str, path: str, content: str, parent: str | None) -> int:
        self.mark += 1
        self.clock += 60
        self.parts.append(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.parts.append(f"committer Dana Developer <dana@example.com> {self.clock} +0000\n".encode())
        self.data(message)
        if parent:
            self.parts.append(f"from {parent}\n".encode())
        self.parts.append(f"M 100644 inline {path}\n".encode())
        self.data(content)
        self.parts.append(b"\n")
        return self.mark

    def tag(self, name: str, mark: int) -> None:
        self.parts.append(f"reset refs/tags/{name}\nfrom :{mark}\n\n".encode())

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _fast_import(path: Path, stream: _Stream) -> None:
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream.bytes(), check=True)


def build_repository(path: Path, *, commits: int) -> tuple[int, int]:
    """Write the bench repository at `path`; returns (fixes, tags)."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    stream = _Stream()
    main_line = commits - BRANCHES * BACKPORTS_PER_BRANCH
    tag_every = main_line // MAIN_TAGS
    marks: dict[int, int] = {}
    fix_of: dict[int, int] = {}  # defect number -> commit index on main
    tags = 0
    parent = None
    for n in range(1, main_line + 1):
        if n % FIX_EVERY == 0:
            number = n // FIX_EVERY
            fix_of[number] = n
            mark = stream.commit("refs/heads/main", f"Fix case {number}\n\nFixes DEF-{number}\n",
                                 f"fixes/fix-{number}.txt", f"fix {number}\n", parent)
        else:
            mark = stream.commit("refs/heads/main", f"Change {n}\n", f"src/file-{n % 400}.txt", f"line {n}\n", parent)
        marks[n] = mark
        parent = f":{mark}"
        if n % tag_every == 0 and n // tag_every <= MAIN_TAGS:
            stream.tag(f"v2.{n // tag_every - 1}.0", mark)
            tags += 1
    # Maintenance branches from the last main tags, with backports of later fixes.
    for b in range(BRANCHES):
        minor = MAIN_TAGS - BRANCHES - 1 + b
        base = (minor + 1) * tag_every
        ref = f"refs/heads/release-2.{minor}"
        parent = f":{marks[base]}"
        later = [number for number, at in sorted(fix_of.items()) if at > base][:BACKPORTS_PER_BRANCH]
        for i, number in enumerate(later, start=1):
            mark = stream.commit(
                ref, f"Backport of a fix {number}\n", f"fixes/fix-{number}.txt", f"fix {number}\n", parent
            )
            parent = f":{mark}"
            if i % (BACKPORTS_PER_BRANCH // 2) == 0:
                stream.tag(f"v2.{minor}.{i // (BACKPORTS_PER_BRANCH // 2)}", mark)
                tags += 1
    _fast_import(path, stream)
    return len(fix_of), tags


def add_commits(path: Path, *, count: int) -> None:
    stream = _Stream()
    stream.clock = EPOCH + 10_000_000
    parent = "refs/heads/main^0"
    for n in range(count):
        mark = stream.commit("refs/heads/main", f"Later change {n}\n", f"src/later-{n % 50}.txt", f"more {n}\n", parent)
        parent = f":{mark}"
    _fast_import(path, stream)


def run(*, commits: int = 20_000, new_commits: int = 500, out=print) -> Figures:
    """Build, scan, scan again and recompute, in a throwaway test database; returns the figures."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return bench(commits=commits, new_commits=new_commits, out=out)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def bench(*, commits: int, new_commits: int, out=print) -> Figures:
    """The measurements, in whatever database is current (run() gives it a throwaway one)."""
    from django.test.utils import override_settings

    with tempfile.TemporaryDirectory(prefix="handoff-git-bench-") as scratch:
        mirrors = Path(scratch) / "mirrors"
        with override_settings(HANDOFF_GIT_MIRRORS=mirrors, HANDOFF_ALLOW_INTERNAL_URLS=True):
            return _measure(Path(scratch), commits=commits, new_commits=new_commits, out=out)


def _measure(scratch: Path, *, commits: int, new_commits: int, out) -> Figures:
    from core.models import Channel
    from defects.models import Defect
    from releases.code.models import Commit, FixRelease
    from releases.code.services.firsts import fix_releases_recompute
    from releases.code.services.repositories import repository_create
    from releases.code.services.scan import repository_scan
    from tickets.models import Product

    upstream = scratch / "upstream.git"
    started = time.perf_counter()
    fixes, tags = build_repository(upstream, commits=commits)
    took = time.perf_counter() - started
    out(f"built {commits} commits ({fixes} fixes, {tags} tags) with git fast-import in {took:.1f} s")

    product = Product.objects.create(name="Bench", code="bench")
    Defect.objects.bulk_create(
        Defect(key=f"DEF-{n}", title=f"Bench defect {n}", product=product, impact="single_user",
               urgency="blocked", severity="S3")
        for n in range(1, fixes + 1)
    )
    repository = repository_create(actor=None, channel=Channel.SYSTEM, name="bench", product=product, url=str(upstream))
    timings: dict[str, float] = {}

    started = time.perf_counter()
    result = repository_scan(repository=repository)
    timings["first scan"] = time.perf_counter() - started
    assert not result.error, result.error
    out(f"first scan: {result.new_commits} commits, {result.links} links, {result.tags} tags")

    add_commits(upstream, count=new_commits)
    started = time.perf_counter()
    result = repository_scan(repository=repository)
    timings["incremental scan"] = time.perf_counter() - started
    assert result.new_commits == new_commits, result

    started = time.perf_counter()
    rows = fix_releases_recompute(repository=repository)
    timings["first releases"] = time.perf_counter() - started
    backports = FixRelease.objects.filter(backport=True).count()
    out(f"first releases: {rows} rows, {backports} by backport; {Commit.objects.count()} commits stored")

    out("")
    out(f"{'measure':20} {'seconds':>8} {'target':>8}  verdict")
    for name, seconds in timings.items():
        target = TARGETS[name]
        out(f"{name:20} {seconds:8.2f} {target:8.1f}  {'ok' if seconds < target else 'SLOW'}")
    return Figures(commits=commits, fixes=fixes, tags=tags, timings=timings)
