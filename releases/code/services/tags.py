"""Tags that name a release: found through the repository's tag pattern."""

from __future__ import annotations

import re
from functools import lru_cache

from core.versions import version_sort_key
from releases.code.models import Repository, Tag
from releases.code.services.repositories import tag_regex

TAG_PREFIX = "refs/tags/"
_NUMBERS = re.compile(r"\d+")
_FINAL = re.compile(r"^\d+(\.\d+)*$")


@lru_cache(maxsize=8192)
def version_line(version: str) -> str:
    """The maintenance line of a version: its first two numbers (2.3 for 2.3.5, 3.0 for 3)."""
    numbers = [str(int(n)) for n in _NUMBERS.findall(version)[:2]]
    while len(numbers) < 2:
        numbers.append("0")
    return ".".join(numbers)


def is_final(version: str) -> bool:
    """A released version (2.4.1), not a pre-release (2.4.1-rc1): only those are offered to customers."""
    return bool(_FINAL.match(version))


def tags_sync(*, repository: Repository, refs: dict[str, str]) -> tuple[int, bool]:
    """Keep one Tag row per tag matching the pattern; moved tags follow, deleted ones go.

    Returns (how many tags match, whether any was added, moved or deleted).
    """
    pattern = tag_regex(repository.tag_pattern)
    wanted: dict[str, tuple[str, str]] = {}
    for ref, sha in refs.items():
        if not ref.startswith(TAG_PREFIX):
            continue
        name = ref[len(TAG_PREFIX):]
        match = pattern.match(name)
        if match and len(match.group("version")) <= 40 and len(name) <= 250:
            wanted[name] = (match.group("version"), sha)
    current = {tag.name: tag for tag in Tag.objects.filter(repository=repository)}
    changed = bool(set(current) - set(wanted))
    if changed:
        Tag.objects.filter(repository=repository).exclude(name__in=list(wanted)).delete()
    for name, (version, sha) in wanted.items():
        tag = current.get(name)
        if tag is None:
            changed = True
            Tag.objects.create(
                repository=repository, name=name, version=version, line=version_line(version), sha=sha,
            )
        elif tag.sha != sha or tag.version != version:
            changed = True
            Tag.objects.filter(pk=tag.pk).update(
                sha=sha, version=version, version_key=version_sort_key(version), line=version_line(version)
            )
    return len(wanted), changed
