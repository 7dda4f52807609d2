"""What the code says about the report's fixes: the release each customer should really take.

A fix marked "fixed in" 2.4.1 may also have been backported: a customer on
2.3.4 is told to take 2.3.5, not 2.4.1, and one on 2.3.6 already has it. The
rule is releases.code.selectors.upgrade_from, the same one the defect and
ticket pages use; a fix with no first release computed (its product has no
repository, or no tag holds it yet) keeps the hand-marked "fixed in".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import QuerySet

from core.versions import version_sort_key
from releases.code.selectors import FirstRelease, UpgradeRule, fix_first_releases


@dataclass(frozen=True, slots=True)
class Take:
    """The release to take for one fix (or a set of fixes), as a customer reads it."""

    version: str
    version_key: str
    backport: bool = False

    @classmethod
    def of(cls, version: str, *, backport: bool = False) -> Take:
        return _take(cls, version, backport)

    @property
    def label(self) -> str:
        return f"{self.version} (backport)" if self.backport else self.version


@lru_cache(maxsize=4096)
def _take(cls, version: str, backport: bool) -> Take:
    # Takes are frozen and a report makes the same few tens of thousands of times.
    return cls(version, version_sort_key(version), backport)


# A fix the customer's version already holds: nothing to take.
HELD = None


class CodeAdvice:
    """The first releases of the report's fixes, read once (two queries; one when none has any)."""

    def __init__(self, firsts: dict[int, list[FirstRelease]]) -> None:
        self.firsts = firsts
        # Asked for every customer version of a report: each defect's rule is built once.
        self._rules: dict[int, UpgradeRule] = {}

    @classmethod
    def read(cls, defect_ids: QuerySet | list[int]) -> CodeAdvice:
        if not isinstance(defect_ids, QuerySet) and not defect_ids:
            return cls({})
        return cls(fix_first_releases(defect_ids, include_inherited=True))

    def __contains__(self, defect_id: int) -> bool:
        return defect_id in self.firsts

    def signature(self, defect_id: int) -> tuple:
        """What take() reads of the defect: fixes with the same signature (and fixed-in) get the same takes."""
        return tuple((f.version, f.line, f.released, f.backport) for f in self.firsts.get(defect_id, ()))

    def take(self, defect_id: int, *, version: str | None, fixed_in: str) -> Take | None:
        """The release a customer on `version` should take for this fix; HELD (None) when they have it.

        `fixed_in` (the hand-marked release) answers when the code cannot: no
        first release computed, no version known, or no shipped release holding it.
        """
        firsts = self.firsts.get(defect_id)
        if not firsts or not version:
            return Take.of(fixed_in)
        rule = self._rules.get(defect_id)
        if rule is None:
            rule = self._rules[defect_id] = UpgradeRule(firsts, released_only=True)
        held, first = rule.decide(version)
        if held:
            return HELD
        if first is None:
            return Take.of(fixed_in)
        return Take.of(first.version, backport=first.backport)


def highest(takes: list[Take | None], fallback: str) -> Take | None:
    """The one release that holds every fix of `takes`: the highest of them (None: they hold them all).

    An empty list (no fix known to gain) keeps `fallback`, the report's release.
    """
    wanted = [t for t in takes if t is not None]
    if not takes:
        return Take.of(fallback)
    if not wanted:
        return HELD
    return max(wanted, key=lambda t: t.version_key)
