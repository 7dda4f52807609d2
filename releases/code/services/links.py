"""Linking commits to defects: the keys a message names, and backports of fixing commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count

from defects.models import Defect
from releases.code.keys import FIXES, Mention, mentions
from releases.code.models import Commit, CommitLink, Repository
from sync.models import Connection, ExternalIssue

# Trackers whose twins are keyed path#number (GitHub's owner/repo#12, GitLab's group/project#12).
PATH_KEYED_KINDS = (Connection.Kind.GITHUB, Connection.Kind.GITLAB)
# Trackers whose issues a bare #12 can name: their twins' external ids are those numbers
# (GitLab's are the project's own iids, as its #12 writes them).
NUMBERED_KINDS = (*PATH_KEYED_KINDS, Connection.Kind.REDMINE)


class KeyIndex:
    """Resolves the keys of a batch of messages to defects of the repository's product, in a few queries."""

    def __init__(self, repository: Repository, found: Iterable[Mention]) -> None:
        found = list(found)
        product_id = repository.product_id
        keys = {m.key for m in found if not m.is_number}
        self.by_key: dict[str, int | None] = {}
        for defect_id, key, defect_product in Defect.objects.filter(key__in=keys).values_list(
            "pk", "key", "product_id"
        ):
            self.by_key[key] = defect_id if defect_product == product_id else None
        twins = ExternalIssue.objects.filter(key__in=keys - set(self.by_key)).values_list(
            "key", "defect_id", "defect__product_id"
        )
        for key, defect_id, defect_product in twins:
            # Two trackers may use one key; only this product's defects count.
            if defect_product == product_id:
                self.by_key[key] = defect_id
            else:
                self.by_key.setdefault(key, None)

        full = {m.key for m in found if m.is_number and m.project}
        for key, defect_id, defect_product in ExternalIssue.objects.filter(
            key__in=full, connection__kind__in=PATH_KEYED_KINDS
        ).values_list("key", "defect_id", "defect__product_id"):
            self.by_key[key] = defect_id if defect_product == product_id else None

        numbers = {m.number for m in found if m.is_number and not m.project}
        twins = ExternalIssue.objects.filter(external_id__in=numbers, defect__product_id=product_id)
        if repository.connection_id:
            twins = twins.filter(connection_id=repository.connection_id)
        else:
            twins = twins.filter(connection__kind__in=NUMBERED_KINDS)
        candidates: dict[str, set[int]] = defaultdict(set)
        for number, defect_id in twins.values_list("external_id", "defect_id"):
            candidates[number].add(defect_id)
        # "#12" names a defect only when one tracker of the product has an issue 12 linked.
        self.by_number = {n: ids.pop() for n, ids in candidates.items() if len(ids) == 1}

    def resolve(self, mention: Mention) -> int | None:
        if mention.is_number and not mention.project:
            return self.by_number.get(mention.number)
        return self.by_key.get(mention.key)


def links_from_messages(repository: Repository, commits: list[Commit]) -> tuple[list[CommitLink], int]:
    """Links for the keys `commits` name (not saved), and how many keys named no defect of the product."""
    parsed = [(commit, mentions(commit.message)) for commit in commits]
    index = KeyIndex(repository, (m for _, found in parsed for m in found))
    links: list[CommitLink] = []
    ignored = 0
    for commit, found in parsed:
        seen: dict[int, CommitLink] = {}
        for mention in found:
            defect_id = index.resolve(mention)
            if defect_id is None:
                ignored += 1
                continue
            current = seen.get(defect_id)
            if current is None:
                seen[defect_id] = CommitLink(
                    commit=commit, defect_id=defect_id, kind=mention.kind, key=mention.key[:120]
                )
            elif mention.kind == FIXES:
                current.kind = FIXES
        links.extend(seen.values())
    return links, ignored


def _port(commit: Commit, defect_id: int, original_id: int, key: str) -> None:
    """`commit` carries the fix `original_id` made for `defect_id`: a fixing link with port_of set."""
    if commit.pk == original_id:
        return  # a commit is never a port of itself
    link = CommitLink.objects.filter(commit=commit, defect_id=defect_id).first()
    if link is None:
        CommitLink.objects.create(commit=commit, defect_id=defect_id, kind=FIXES, key=key, port_of_id=original_id)
    elif link.kind != FIXES or link.port_of_id != original_id:
        CommitLink.objects.filter(pk=link.pk).update(kind=FIXES, port_of_id=original_id)


def _original_of(group: list[Commit]) -> Commit:
    """The original among commits of one patch (oldest first): the one a -x line of another names,
    else the oldest not picked from another, else the oldest."""
    named = {c.picked_from for c in group if c.picked_from}
    return next(
        (c for c in group if c.sha in named), next((c for c in group if not c.picked_from), group[0])
    )


def backports_link(repository: Repository, commits: list[Commit]) -> int:
    """Give backports among `commits` the fixes of what they carry; returns how many links were made or changed.

    A backport carries an earlier commit's change: `git cherry-pick -x` names
    it in a "(cherry picked from commit <sha>)" line, and a cherry-pick without
    -x has the same patch id. Within a patch id the original is the commit a -x
    line of the others names, else the earliest not picked from another (dates
    alone mislead: a pick may carry an earlier committer date, or the same
    second); every fix any of them names is a fix of all of them.
    """
    changed = 0
    # -x lines, oldest first, so a pick of a pick finds its source already linked.
    picked = sorted((c for c in commits if c.picked_from), key=lambda c: (c.committed_at, c.sha))
    sources = {
        c.sha: c for c in Commit.objects.filter(repository=repository, sha__in={c.picked_from for c in picked})
    }
    for commit in picked:
        source = sources.get(commit.picked_from)
        if source is None:
            continue  # picked from a commit this repository does not hold
        for link in CommitLink.objects.filter(commit=source, kind=FIXES):
            _port(commit, link.defect_id, link.port_of_id or source.pk, link.key)
            changed += 1

    patch_ids = {c.patch_id for c in commits if c.patch_id}
    if patch_ids:
        # Only patch ids more than one commit has: one grouped read, not a lookup per commit.
        patch_ids &= set(
            Commit.objects.filter(repository=repository).exclude(patch_id="").values("patch_id")
            .annotate(n=Count("id")).filter(n__gt=1).values_list("patch_id", flat=True)
        )
    if patch_ids:
        groups: dict[str, list[Commit]] = defaultdict(list)
        same_patch = Commit.objects.filter(repository=repository, patch_id__in=patch_ids)
        for commit in same_patch.order_by("committed_at", "sha"):
            groups[commit.patch_id].append(commit)
        for group in groups.values():
            if len(group) < 2:
                continue
            ids = [c.pk for c in group]
            fixes = {
                link.defect_id: link.key
                for link in CommitLink.objects.filter(commit_id__in=ids, kind=FIXES).order_by("-id")
            }
            original = _original_of(group)
            # The original may itself be a port (-x) of something older.
            original_link = CommitLink.objects.filter(commit=original, kind=FIXES).exclude(port_of=None).first()
            root_id = original_link.port_of_id if original_link else original.pk
            for defect_id, key in fixes.items():
                if root_id == original.pk and not CommitLink.objects.filter(
                    commit=original, defect_id=defect_id, kind=FIXES
                ).exists():
                    CommitLink.objects.update_or_create(
                        commit=original, defect_id=defect_id, defaults={"kind": FIXES, "key": key}
                    )
                    changed += 1
                for commit in group:
                    if commit.pk != original.pk:
                        _port(commit, defect_id, root_id, key)
                        changed += 1
    return changed
