"""HANDOFF_WAITING_HOURS: how long each customer tier's open tickets may go without an update."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from handoff.env import env_hours_by_key

DEFAULT = {"strategic": 24, "standard": 72, "trial": 168}


def test_unset_it_is_the_default_and_a_tier_named_changes_only_that_tier(monkeypatch):
    monkeypatch.delenv("HANDOFF_WAITING_HOURS", raising=False)
    assert env_hours_by_key("HANDOFF_WAITING_HOURS", DEFAULT) == DEFAULT
    monkeypatch.setenv("HANDOFF_WAITING_HOURS", " Strategic=8 , trial=240,")
    assert env_hours_by_key("HANDOFF_WAITING_HOURS", DEFAULT) == {"strategic": 8, "standard": 72, "trial": 240}


@pytest.mark.parametrize("value,message", [
    ("gold=4", "'gold' is not one of strategic, standard, trial"),
    ("standard=two days", "standard must be a whole number of hours, got 'two days'"),
    ("trial=0", "trial must be at least 1 hour, got 0"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(monkeypatch, value, message):
    monkeypatch.setenv("HANDOFF_WAITING_HOURS", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_hours_by_key("HANDOFF_WAITING_HOURS", DEFAULT)
    assert str(refused.value) == f"HANDOFF_WAITING_HOURS: {message}"
