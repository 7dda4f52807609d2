"""The rate gate of a tracker account: waits the tracker asks for, and a cap on calls in flight."""

import threading
import time

import pytest

from sync import ratelimit
from sync.connectors.base import ConnectorError
from sync.ratelimit import RateGate, wait_from_headers


def test_retry_after_wins_over_the_reset_time():
    assert wait_from_headers({"Retry-After": "30", "X-RateLimit-Remaining": "0",
                              "X-RateLimit-Reset": str(int(time.time()) + 999)}) == 30


def test_a_spent_budget_waits_until_github_epoch_reset_or_jira_iso_reset():
    github = wait_from_headers({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 120)})
    jira = wait_from_headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2099-01-01T00:00Z"})
    assert 115 <= github <= 120
    assert jira > 60 * 60 * 24 * 365


def test_a_budget_with_requests_left_asks_no_wait():
    assert wait_from_headers({"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "1"}) is None


def test_calls_beyond_the_cap_in_flight_give_up_with_a_retryable_error(settings, monkeypatch):
    settings.HANDOFF_SYNC_MAX_IN_FLIGHT = 1
    monkeypatch.setattr(ratelimit, "SLOT_WAIT_SECONDS", 0.1)
    gate = RateGate(base_url="https://tracker.example", token="t", tracker="Jira")
    inside, release = threading.Event(), threading.Event()

    def hold():
        with gate.slot():
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(5)
    try:
        with pytest.raises(ConnectorError) as refused, gate.slot():
            pass
    finally:
        release.set()
        holder.join()

    assert not refused.value.permanent and refused.value.retry_after == 1.0
    with gate.slot():  # freed when the first call ended
        pass


def test_two_connections_with_one_token_share_a_gate_and_other_tokens_do_not():
    first = RateGate(base_url="https://api.github.com", token="a", tracker="GitHub")
    first.block(60)

    with pytest.raises(ConnectorError):
        RateGate(base_url="https://api.github.com", token="a", tracker="GitHub").check()
    RateGate(base_url="https://api.github.com", token="b", tracker="GitHub").check()
