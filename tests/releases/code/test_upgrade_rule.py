"""The upgrade rule built once per defect answers as the rule read straight from its first releases."""

import itertools

import pytest

from core.versions import version_sort_key
from releases.code.selectors import FirstRelease, UpgradeRule, upgrade_from
from releases.code.services.tags import version_line


def _first(version: str, *, released: bool = True, backport: bool = False, inherited: bool = False):
    return FirstRelease(version=version, line=version_line(version), release_id=None, released=released,
                        backport=backport, inherited=inherited, repository="app", commit="abc")


def _reference(firsts, version: str, released_only: bool):
    """The rule as written before it was indexed: own line first, else the lowest later release."""
    current = version_sort_key(version)
    own = next((f for f in firsts if f.line == version_line(version)), None)
    if own is not None and version_sort_key(own.version) <= current:
        return True, None
    usable = [f for f in firsts if f.released or not released_only]
    if own is not None and own in usable:
        return False, own
    later = [f for f in usable if version_sort_key(f.version) > current]
    return False, (later[0] if later else None)


CASES = [
    [_first("2.4.1")],
    [_first("2.3.5", backport=True), _first("2.4.1"), _first("2.5.0", inherited=True)],
    [_first("2.3.5", backport=True, released=False), _first("2.4.1"), _first("3.0.0", inherited=True)],
    [_first("2.4.1", released=False), _first("2.5.0", inherited=True, released=False)],
    [_first("2.3.10", backport=True), _first("2.10.0")],
]
VERSIONS = ["2.2.9", "2.3.0", "2.3.4", "2.3.5", "2.3.6", "2.3.10", "2.4.0", "2.4.1", "2.4.2", "2.5.0", "2.9.9",
            "2.10.0", "3.0.0", "3.1.0"]


@pytest.mark.parametrize("firsts", CASES)
def test_the_built_rule_answers_as_the_rule_read_straight(firsts):
    for released_only, version in itertools.product((True, False), VERSIONS):
        expected = _reference(firsts, version, released_only)
        assert UpgradeRule(firsts, released_only=released_only).decide(version) == expected, (version, released_only)
        assert upgrade_from(firsts, version=version, released_only=released_only) == expected


def test_a_backport_on_the_customers_line_is_preferred_and_a_newer_one_on_it_already_held():
    rule = UpgradeRule(CASES[1])
    assert rule.decide("2.3.4") == (False, CASES[1][0])
    assert rule.decide("2.3.6") == (True, None)
    assert rule.decide("2.2.9") == (False, CASES[1][0])  # the lowest release above it holds the fix
