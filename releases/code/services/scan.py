"""Scanning a repository: fetch the mirror, store new commits, link them, follow tags and builds.

Safe to repeat: a scan stores only commits it does not hold yet, and a scan of
unchanged refs does nothing. When a branch was rewritten (a force-push) or
deleted, commits no longer reachable from any branch or tag are dropped, with
their links. A fetch that fails leaves everything as it was and shows the
error on the repository's health.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from releases.code import git
from releases.code.models import Build, Commit, CommitLink, Repository
from releases.code.services.firsts import fix_releases_recompute
from releases.code.services.fixed_in import fixed_in_from_code
from releases.code.services.links import backports_link, links_from_messages
from releases.code.services.repositories import fetch_refusal
from releases.code.services.tags import tags_sync

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass
class ScanResult:
    new_commits: int = 0
    dropped_commits: int = 0
    links: int = 0
    ignored_keys: int = 0
    tags: int = 0
    error: str = ""


def _commit(repository: Repository, data: git.CommitData, patch_id: str) -> Commit:
    return Commit(
        repository=repository, sha=data.sha, parents=" ".join(data.parents)[:2000], subject=data.subject,
        message=data.message, author_name=data.author_name, author_email=data.author_email,
        authored_at=data.authored_at, committed_at=data.committed_at, patch_id=patch_id,
        picked_from=data.picked_from,
    )


def _failed(repository: Repository, message: str) -> ScanResult:
    now = timezone.now()
    Repository.objects.filter(pk=repository.pk).update(
        scan_status=Repository.ScanStatus.FAILED, last_scan_at=now, last_error=message, last_error_at=now
    )
    log.warning("scan of repository %s failed: %s", repository.pk, message)
    return ScanResult(error=message)


def _rewritten(repo, old: dict[str, str], refs: dict[str, str]) -> bool:
    """Whether a ref that the last scan saw is gone or no longer contains what it named."""
    for name, sha in old.items():
        new = refs.get(name)
        if new is None:
            return True
        if new != sha and not git.is_ancestor(repo, sha, new):
            return True
    return False


def repository_scan(*, repository: Repository, full: bool = False) -> ScanResult:
    """Fetch and read what is new; `full` reads every commit's message again (for keys of defects made since)."""
    Repository.objects.filter(pk=repository.pk).update(scan_status=Repository.ScanStatus.RUNNING)
    refusal = fetch_refusal(repository.url)
    if refusal:
        # Never fetched: the address is checked again each time, as DNS may have changed.
        return _failed(repository, f"Fetching {repository.url} was refused: {refusal}")
    try:
        repo = git.fetch(repository_id=repository.pk, url=repository.url, credential=repository.credential)
        refs = git.read_refs(repo)
    except git.GitError as exc:
        return _failed(repository, f"Fetching {repository.url} failed: {exc}")
    if not refs:
        return _failed(repository, f"{repository.url} has no branches or tags.")
    try:
        result = _store(repository, repo, refs, full=full)
    except git.GitError as exc:
        return _failed(repository, f"Reading the mirror failed: {exc}")
    # After the scan's own transaction: each defect is changed (and audited) in its own.
    fixed_in_from_code(repository_id=repository.pk)
    return result


@transaction.atomic
def _store(repository: Repository, repo, refs: dict[str, str], *, full: bool) -> ScanResult:
    # One scan of a repository writes at a time; the second sees the first's commits.
    repository = Repository.objects.select_for_update().get(pk=repository.pk)
    result = ScanResult()
    known = dict(Commit.objects.filter(repository=repository).values_list("sha", "pk"))
    tips = sorted(set(refs.values()))
    if full or _rewritten(repo, repository.scanned_refs, refs):
        live = git.reachable(repo, tips)
        gone = [sha for sha in known if sha not in live]
        for start in range(0, len(gone), BATCH):
            Commit.objects.filter(repository=repository, sha__in=gone[start:start + BATCH]).delete()
        result.dropped_commits = len(gone)
        known = {sha: pk for sha, pk in known.items() if sha in live}
        fresh = (repo[sha] for sha in live if sha not in known)
    else:
        fresh = (c for c in git.walk(repo, tips, hide=repository.scanned_refs.values()) if str(c.id) not in known)
    read = [git.commit_data(c) for c in fresh]
    # Merges and root commits are nobody's backport.
    ids = git.patch_ids(repository.pk, [d.sha for d in read if len(d.parents) == 1])
    new = [_commit(repository, d, ids.get(d.sha, "")) for d in read]
    for start in range(0, len(new), BATCH):
        Commit.objects.bulk_create(new[start:start + BATCH])
    result.new_commits = len(new)

    to_read = new
    if full:
        CommitLink.objects.filter(commit__repository=repository).delete()
        to_read = list(Commit.objects.filter(repository=repository))
    links, result.ignored_keys = links_from_messages(repository, to_read)
    CommitLink.objects.bulk_create(links, batch_size=BATCH)
    result.links = len(links) + backports_link(repository, to_read)

    # A build recorded before its commit arrived is linked now.
    for start in range(0, len(new), BATCH):
        batch = {c.sha: c.pk for c in new[start:start + BATCH]}
        for build in Build.objects.filter(repository=repository, commit=None, sha__in=list(batch)):
            Build.objects.filter(pk=build.pk).update(commit_id=batch[build.sha])

    result.tags, tags_changed = tags_sync(repository=repository, refs=refs)
    # First releases change only with the tags, the fixing links or the commits dropped.
    if tags_changed or result.links or result.dropped_commits or full:
        fix_releases_recompute(repository=repository)

    now = timezone.now()
    repository.scanned_refs = refs
    repository.commit_count = Commit.objects.filter(repository=repository).count()
    repository.ignored_keys = result.ignored_keys if full else repository.ignored_keys + result.ignored_keys
    repository.scan_status = Repository.ScanStatus.OK
    repository.last_scan_at = repository.last_success_at = now
    repository.last_error = ""
    repository.save(update_fields=[
        "scanned_refs", "commit_count", "ignored_keys", "scan_status", "last_scan_at", "last_success_at",
        "last_error",
    ])
    return result
