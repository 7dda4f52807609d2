"""Seeded code: a repository per product, fixing commits, tags of shipped releases, builds.

What a scan of the products' repositories would have written: each fixed or
shipped defect has a commit that `fixes` it, some defects a second commit that
`refs` them, each shipped release a tag, each shipped fix a first release on its
line (FixRelease), and one build of every few commits.
"""

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.versions import version_sort_key
from defects.models import Defect
from releases.code.models import Build, Commit, CommitLink, FixRelease, Repository, Tag
from releases.code.services.tags import version_line
from tools.scale import texts
from tools.scale.bulk import reserve_ids
from tools.scale.catalog import Catalog
from tools.scale.seed_defects import SeededDefect

S = Defect.Status
# One build of every this many commits, and one of every tag.
COMMITS_PER_BUILD = 4
# Commits that name no defect (chores, features) per fixing commit.
CHORES_PER_FIX = 1


@dataclass
class CodeRows:
    repositories: list[Repository] = field(default_factory=list)
    commits: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    fix_releases: list[dict] = field(default_factory=list)
    builds: list[dict] = field(default_factory=list)


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _repositories(catalog: Catalog) -> dict[int, Repository]:
    """One repository per product, made through the ORM (a handful of rows)."""
    repositories = {}
    for info in catalog.products:
        name = f"scale-{info.product.pk}"
        repositories[info.product.pk], _ = Repository.objects.get_or_create(
            name=name,
            defaults={
                "product": info.product, "url": f"https://git.example.com/{name}.git",
                "web_url": f"https://git.example.com/{name}", "scan_status": Repository.ScanStatus.OK,
            },
        )
    return repositories


def generate_code(
    rng: random.Random, catalog: Catalog, defects: list[SeededDefect], *, now: datetime
) -> CodeRows:
    """Rows for the code tables, ids reserved, consistent with the seeded defects and releases."""
    rows = CodeRows()
    repositories = _repositories(catalog)
    rows.repositories = list(repositories.values())
    fixed = [d for d in defects if d.status in (S.FIXED, S.RELEASED)]
    referenced = [d for d in defects if d.status in (S.IN_PROGRESS, S.IN_VERIFICATION) and rng.random() < 0.5]
    commit_ids = iter(reserve_ids(Commit, len(fixed) * (1 + CHORES_PER_FIX) + len(referenced)))
    link_ids = iter(reserve_ids(CommitLink, len(fixed) + len(referenced)))
    fix_commit: dict[int, dict] = {}

    def commit(repository: Repository, subject: str, when: datetime) -> dict:
        row = {
            "id": next(commit_ids), "repository_id": repository.pk, "sha": _sha(rng), "parents": "",
            "subject": subject, "message": subject, "author_name": rng.choice(catalog.engineers).username,
            "author_email": "dev@example.com", "authored_at": when, "committed_at": when,
            "patch_id": _sha(rng), "picked_from": "",
        }
        rows.commits.append(row)
        return row

    def link(commit_row: dict, defect: SeededDefect, kind: str) -> None:
        rows.links.append({
            "id": next(link_ids), "commit_id": commit_row["id"], "defect_id": defect.row["id"],
            "kind": kind, "key": defect.row["key"], "port_of_id": None,
        })

    for defect in fixed:
        repository = repositories[defect.info.product.pk]
        when = min(now, defect.row["created_at"] + timedelta(days=rng.uniform(1, 20)))
        row = commit(repository, f"Fix {defect.row['title'][:200]} (fixes {defect.row['key']})", when)
        link(row, defect, CommitLink.Kind.FIXES)
        fix_commit[defect.row["id"]] = row
        for _ in range(CHORES_PER_FIX):
            commit(repository, f"Tidy the {rng.choice(texts.OBJECTS)}", when + timedelta(minutes=rng.randint(1, 600)))
    for defect in referenced:
        repository = repositories[defect.info.product.pk]
        when = min(now, defect.row["created_at"] + timedelta(days=1))
        row = commit(repository, f"Start on {defect.row['key']}", when)
        link(row, defect, CommitLink.Kind.REFS)

    # A tag per shipped release, on the newest commit of its product made before it shipped.
    tag_of: dict[int, dict] = {}
    tag_ids = iter(reserve_ids(Tag, sum(len(info.released) for info in catalog.products)))
    by_repository: dict[int, list[dict]] = {}
    for row in rows.commits:
        by_repository.setdefault(row["repository_id"], []).append(row)
    for info in catalog.products:
        repository = repositories[info.product.pk]
        history = sorted(by_repository.get(repository.pk, []), key=lambda r: r["committed_at"])
        times = [r["committed_at"] for r in history]
        for release in info.released:
            newest = bisect.bisect_right(times, release.released_at) - 1
            sha = history[newest]["sha"] if newest >= 0 else _sha(rng)
            tag = {
                "id": next(tag_ids), "repository_id": repository.pk, "name": f"v{release.version}",
                "version": release.version, "version_key": version_sort_key(release.version),
                "line": version_line(release.version), "sha": sha, "seen_at": release.released_at,
            }
            rows.tags.append(tag)
            tag_of[release.pk] = tag

    # The first release holding each shipped fix: the release the defect was fixed in.
    fix_ids = iter(reserve_ids(FixRelease, sum(1 for d in fixed if d.row["fixed_in_release_id"] in tag_of)))
    for defect in fixed:
        tag = tag_of.get(defect.row["fixed_in_release_id"])
        if tag is None:
            continue
        rows.fix_releases.append({
            "id": next(fix_ids), "defect_id": defect.row["id"], "repository_id": tag["repository_id"],
            "tag_id": tag["id"], "commit_id": fix_commit[defect.row["id"]]["id"], "line": tag["line"],
            "version": tag["version"], "version_key": tag["version_key"], "backport": False, "inherited": False,
        })

    built = rows.commits[::COMMITS_PER_BUILD]
    build_ids = iter(reserve_ids(Build, len(built)))
    for number, row in enumerate(built, start=1):
        rows.builds.append({
            "id": next(build_ids), "repository_id": row["repository_id"], "sha": row["sha"],
            "commit_id": row["id"], "number": str(number), "url": "", "source": "api", "version": "",
            "status": Build.Status.PASSED if rng.random() < 0.9 else Build.Status.FAILED,
            "created_at": row["committed_at"], "updated_at": row["committed_at"],
        })
    return rows


def commit_counts(rows: CodeRows) -> None:
    """Each seeded repository's commit count, as a scan keeps it."""
    counts: dict[int, int] = {}
    for row in rows.commits:
        counts[row["repository_id"]] = counts.get(row["repository_id"], 0) + 1
    for repository in rows.repositories:
        Repository.objects.filter(pk=repository.pk).update(commit_count=counts.get(repository.pk, 0))
