"""The first release of each maintenance line whose tagged code holds a fix.

Containment is worked out from the commit graph the scan stored, in one pass:
every tag gets a bit, and walking the commits from the newest to the oldest
(children before parents) hands each commit the bits of the tags it is
reachable from. A fixing commit's bits are then the tags that contain it.
"""

from __future__ import annotations

from collections import defaultdict

from core.versions import version_sort_key
from releases.code.keys import FIXES
from releases.code.models import Commit, CommitLink, FixRelease, Repository, Tag
from releases.code.services.tags import is_final


def _tag_masks(repository: Repository, tags: list[Tag]) -> tuple[dict[str, int], dict[int, int]]:
    """(sha -> commit id, commit id -> bit mask of the tags that contain it)."""
    rows = list(Commit.objects.filter(repository=repository).values_list("pk", "sha", "parents"))
    id_of = {sha: pk for pk, sha, _ in rows}
    parents_of: dict[int, list[int]] = {}
    children = defaultdict(int)
    for pk, _, parents in rows:
        ids = [id_of[p] for p in parents.split() if p in id_of]
        parents_of[pk] = ids
        for parent in ids:
            children[parent] += 1
    mask: dict[int, int] = defaultdict(int)
    for bit, tag in enumerate(tags):
        if tag.sha in id_of:
            mask[id_of[tag.sha]] |= 1 << bit
    # Kahn's order: a commit is passed on once all its children have handed it their bits.
    ready = [pk for pk in parents_of if children[pk] == 0]
    while ready:
        pk = ready.pop()
        bits = mask.get(pk, 0)
        for parent in parents_of[pk]:
            if bits:
                mask[parent] |= bits
            children[parent] -= 1
            if children[parent] == 0:
                ready.append(parent)
    return id_of, mask


def fix_releases_recompute(*, repository: Repository) -> int:
    """Rewrite the repository's FixRelease rows from its tags and fixing commits; returns how many."""
    tags = sorted(
        (t for t in Tag.objects.filter(repository=repository) if is_final(t.version)),
        key=lambda t: t.version_key,
    )
    FixRelease.objects.filter(repository=repository).delete()
    if not tags:
        return 0
    _, mask = _tag_masks(repository, tags)
    line_start: dict[str, Tag] = {}
    for tag in tags:
        line_start.setdefault(tag.line, tag)

    # defect -> [(commit id, is a port)]
    fixes: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for defect_id, commit_id, port_of in CommitLink.objects.filter(
        commit__repository=repository, kind=FIXES
    ).values_list("defect_id", "commit_id", "port_of_id"):
        fixes[defect_id].append((commit_id, port_of is not None))

    rows: list[FixRelease] = []
    for defect_id, commits in fixes.items():
        # line -> (tag index, commit id, came only by a port)
        best: dict[str, tuple[int, int, bool]] = {}
        per_tag: dict[int, tuple[int, bool]] = {}
        for commit_id, is_port in commits:
            bits = mask.get(commit_id, 0)
            index = 0
            while bits:
                if bits & 1:
                    held = per_tag.get(index)
                    # An original in the tag beats a port of it.
                    if held is None or (held[1] and not is_port):
                        per_tag[index] = (commit_id, is_port)
                bits >>= 1
                index += 1
        for index in sorted(per_tag):
            line = tags[index].line
            if line not in best:
                best[line] = (index, *per_tag[index])
        # A line inherits the fix when its first version holds the very commit that brought
        # it to a lower line (2.5.0 after 2.4.1); a port or another fix is news for the line.
        lower: set[int] = set()
        for line in sorted(best, key=version_sort_key):
            index, commit_id, is_port = best[line]
            tag = tags[index]
            rows.append(FixRelease(
                defect_id=defect_id, repository=repository, tag=tag, commit_id=commit_id, line=line,
                version=tag.version, version_key=tag.version_key, backport=is_port,
                inherited=commit_id in lower and line_start[line].pk == tag.pk,
            ))
            lower.add(commit_id)
    FixRelease.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
