"""Slot claims: of several processes doing the same periodic work, one wins each slot."""

import pytest

from core.locks import claim_slot, slot_of


def test_the_first_claim_of_a_slot_wins_and_the_next_is_refused():
    assert claim_slot("relay", period=30, now=1_000_000.0) is True
    assert claim_slot("relay", period=30, now=1_000_010.0) is False


def test_the_next_slot_can_be_claimed_again():
    claim_slot("relay", period=30, now=1_000_000.0)
    assert claim_slot("relay", period=30, now=1_000_030.0) is True


def test_slots_are_aligned_on_the_clock_not_on_the_first_claim():
    # 119.9 s and 120.0 s are a tenth apart but in two one-minute slots.
    assert slot_of(60, now=119.9) == 1 and slot_of(60, now=120.0) == 2
    assert claim_slot("scan", period=60, now=119.9) is True
    assert claim_slot("scan", period=60, now=120.0) is True


def test_names_are_claimed_apart():
    assert claim_slot("relay", period=30, now=1_000_000.0) is True
    assert claim_slot("poll", period=30, now=1_000_000.0) is True


def test_a_period_must_be_positive():
    with pytest.raises(ValueError):
        slot_of(0, now=1.0)
