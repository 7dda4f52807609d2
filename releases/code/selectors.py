"""Reads for pages, the API and the release report: commits, builds and first releases of defects.

`fix_first_releases` is the one computation of "which release first contains
this fix" that every reader uses (the defect and ticket pages and API, the
fixed-in-release report and the outreach's upgrade advice).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from core.versions import version_sort_key
from releases.code import git
from releases.code.keys import FIXES
from releases.code.models import Build, Commit, CommitLink, FixRelease, Repository, Tag
from releases.code.services.tags import version_line
from releases.models import Release

BUILDS_SHOWN = 20
# What a repository's page lists of each: its newest commits, tags and builds.
RECENT = 20


@dataclass(frozen=True)
class RepositoryActivity:
    commits: list[Commit]
    tags: list[Tag]
    builds: list[Build]


def repository_activity(repository: Repository) -> RepositoryActivity:
    """A repository's newest commits, highest tags and newest builds, RECENT of each: three index reads."""
    return RepositoryActivity(
        commits=list(Commit.objects.filter(repository=repository).order_by("-committed_at", "-id")[:RECENT]),
        tags=list(Tag.objects.filter(repository=repository).order_by("-version_key")[:RECENT]),
        builds=list(Build.objects.filter(repository=repository).order_by("-created_at", "-id")[:RECENT]),
    )


@dataclass(frozen=True)
class FirstRelease:
    """The first release of a maintenance line whose tag holds a defect's fix.

    `release_id` and `released` come from the portal's release of that version
    (None and False when the portal has no such release yet); `backport` is
    true when the tag holds only a port of the fix (cherry-picked with -x, or
    the same patch), not the original commit.
    """

    version: str
    line: str
    release_id: int | None
    released: bool
    backport: bool
    inherited: bool
    repository: str
    commit: str

    def as_dict(self) -> dict:
        return {
            "version": self.version, "line": self.line, "release": self.release_id, "released": self.released,
            "backport": self.backport, "repository": self.repository, "commit": self.commit,
        }


def fix_first_releases(defect_ids: Iterable[int], *, include_inherited: bool = False) -> dict[int, list[FirstRelease]]:
    """defect id -> the first release per maintenance line that contains its fix, in version order.

    With several repositories, a line's earliest version across them counts.
    Lines whose first version merely inherits the fix from a lower line (2.5.0
    after 2.4.1) are left out unless `include_inherited`: "2.3.5 (backport)
    and 2.4.1" rather than every later line. Defects without a fixing commit
    in a tag are absent from the result. Two queries whatever the number of defects
    (one when none has a first release); `defect_ids` may be a queryset of ids.
    """
    # A queryset of ids stays a subquery: the report passes every fix of a few releases.
    if isinstance(defect_ids, QuerySet):
        rows = FixRelease.objects.filter(defect_id__in=defect_ids)
    else:
        rows = FixRelease.objects.filter(defect_id__any_of=defect_ids)
    if not include_inherited:
        rows = rows.filter(inherited=False)
    # Read as values: a report's fixes have thousands of rows, and model instances cost more than the query.
    best: dict[int, dict[str, tuple]] = defaultdict(dict)
    for row in rows.order_by("defect_id", "version_key", "backport", "repository__name").values_list(
        "defect_id", "line", "version", "version_key", "backport", "inherited", "repository__name",
        "repository__product_id", "commit__sha",
    ):
        best[row[0]].setdefault(row[1], row)
    if not best:
        # Most defects have no fixing commit in a tag: no release to look up (the ticket page asks for each).
        return {}
    keys = {(row[7], row[3]) for lines in best.values() for row in lines.values()}
    releases = {
        (r.product_id, r.version_key): r
        for r in Release.objects.filter(
            product_id__in={p for p, _ in keys}, version_key__in={k for _, k in keys}
        ).only("id", "product_id", "version_key", "status")
    }
    result: dict[int, list[FirstRelease]] = {}
    for defect_id, lines in best.items():
        found = []
        for _, line, version, version_key, backport, inherited, repository, product_id, sha in sorted(
            lines.values(), key=lambda r: r[3]
        ):
            release = releases.get((product_id, version_key))
            found.append(FirstRelease(
                version=version, line=line, release_id=release.pk if release else None,
                released=bool(release and release.is_released), backport=backport, inherited=inherited,
                repository=repository, commit=sha,
            ))
        result[defect_id] = found
    return result


class UpgradeRule:
    """The one rule behind fix_upgrade_for and the fixed-in-release report's advice, for one defect.

    From its first releases (fix_first_releases(..., include_inherited=True)):
    the first release of the customer's own line when it is newer than what
    they run (2.3.4 -> 2.3.5 when the fix was backported, not 2.4.1); otherwise
    the lowest release above their version that contains the fix. Built once
    per defect, so a report asking it for every customer version does a
    lookup and a bisection per answer.
    """

    __slots__ = ("own", "released_only", "usable", "usable_keys")

    def __init__(self, firsts: list[FirstRelease], *, released_only: bool = True) -> None:
        self.released_only = released_only
        self.own: dict[str, tuple[str, FirstRelease]] = {}
        for first in firsts:
            self.own.setdefault(first.line, (version_sort_key(first.version), first))
        usable = sorted(
            ((version_sort_key(f.version), f) for f in firsts if f.released or not released_only),
            key=lambda pair: pair[0],
        )
        self.usable = [f for _, f in usable]
        self.usable_keys = [key for key, _ in usable]

    def decide(self, version: str) -> tuple[bool, FirstRelease | None]:
        """(whether `version` already holds the fix, the release to take)."""
        current = version_sort_key(version)
        own = self.own.get(version_line(version))
        if own is not None:
            own_key, first = own
            if own_key <= current:
                return True, None  # what they run has it already
            if first.released or not self.released_only:
                return False, first
        later = bisect_right(self.usable_keys, current)
        return False, (self.usable[later] if later < len(self.usable) else None)


def upgrade_from(
    firsts: list[FirstRelease], *, version: str, released_only: bool = True
) -> tuple[bool, FirstRelease | None]:
    """(whether `version` already holds the fix, the release to take) from a defect's first releases (UpgradeRule)."""
    return UpgradeRule(firsts, released_only=released_only).decide(version)


def fix_upgrade_for(
    defect_ids: Iterable[int], *, version: str, released_only: bool = True
) -> dict[int, FirstRelease | None]:
    """defect id -> the release a customer running `version` should take to get the fix (None: none yet).

    See upgrade_from for the rule. A customer whose version already contains
    the fix gets None too. `released_only` skips versions the portal has not shipped.
    """
    ids = list(defect_ids)
    advice: dict[int, FirstRelease | None] = dict.fromkeys(ids)
    for defect_id, firsts in fix_first_releases(ids, include_inherited=True).items():
        advice[defect_id] = upgrade_from(firsts, version=version, released_only=released_only)[1]
    return advice


@dataclass(frozen=True)
class CommitRow:
    sha: str
    short_sha: str
    subject: str
    author: str
    committed_at: datetime
    url: str
    repository: str
    kind: str
    backport: bool


def defect_commits(defect_id: int) -> list[CommitRow]:
    """The commits that name or carry the defect's fix, newest first."""
    links = (
        CommitLink.objects.filter(defect_id=defect_id).select_related("commit__repository")
        .order_by("-commit__committed_at", "-id")
    )
    return [
        CommitRow(
            sha=link.commit.sha, short_sha=link.commit.short_sha, subject=link.commit.subject,
            author=link.commit.author_name, committed_at=link.commit.committed_at,
            url=link.commit.repository.commit_url(link.commit.sha), repository=link.commit.repository.name,
            kind=link.kind, backport=link.port_of_id is not None,
        )
        for link in links
    ]


def defect_builds(defect_id: int, *, limit: int = BUILDS_SHOWN) -> list[Build]:
    """The newest builds whose commit holds one of the defect's fixing commits (read from the mirrors)."""
    fixing: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for repository_id, sha, at in CommitLink.objects.filter(defect_id=defect_id, kind=FIXES).values_list(
        "commit__repository_id", "commit__sha", "commit__committed_at"
    ):
        fixing[repository_id].append((sha, at))
    found: list[Build] = []
    for repository_id, commits in fixing.items():
        repo = git.open_mirror(repository_id)
        if repo is None:
            continue
        oldest = min(at for _, at in commits)
        candidates = (
            Build.objects.filter(repository_id=repository_id, commit__committed_at__gte=oldest)
            .select_related("commit", "repository").order_by("-created_at", "-id")[: limit * 5]
        )
        for build in candidates:
            if any(git.is_ancestor(repo, sha, build.commit.sha) for sha, _ in commits):
                found.append(build)
    found.sort(key=lambda b: b.created_at, reverse=True)
    return found[:limit]
