"""A second beat does not double periodic work: each entry is sent once per period.

The schedulers here send to a Celery app of their own, in eager mode, so a sent
task runs at once and is counted; the clock the slots are read from is set by
the test. tests/handoff/test_multinode.py runs two real beats side by side.
"""

from types import SimpleNamespace

import pytest
from celery import Celery
from celery.schedules import crontab

import core.locks
from handoff import beat
from handoff.beat import OncePerSlotScheduler, slot_seconds

PERIOD = 30.0


@pytest.fixture
def app():
    app = Celery("beat-test", set_as_current=False)
    app.conf.task_always_eager = True
    app.conf.beat_schedule = {
        "relay": {"task": "beat-test.relay", "schedule": PERIOD},
        "nightly": {"task": "beat-test.relay", "schedule": crontab(hour=3, minute=0)},
    }
    app.sent = []

    @app.task(name="beat-test.relay", shared=False)
    def relay():
        app.sent.append(clock.now)

    return app


class Clock:
    now = 1_000_000.0

    def time(self) -> float:
        return self.now


clock = Clock()


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    clock.now = 1_000_000.0
    monkeypatch.setattr(core.locks, "time", SimpleNamespace(time=clock.time))


def a_beat(app, tmp_path, name: str) -> OncePerSlotScheduler:
    return OncePerSlotScheduler(app=app, schedule_filename=str(tmp_path / f"{name}-schedule"))


def test_two_beats_due_at_once_send_the_task_once(app, tmp_path):
    first, second = a_beat(app, tmp_path, "a"), a_beat(app, tmp_path, "b")

    first.apply_entry(first.schedule["relay"])
    second.apply_entry(second.schedule["relay"])

    assert len(app.sent) == 1


def test_a_second_beat_running_behind_the_first_skips_every_period_the_first_sent(app, tmp_path):
    first, second = a_beat(app, tmp_path, "a"), a_beat(app, tmp_path, "b")

    for moment in (0.5, 12.0, 30.5, 42.0, 60.5, 72.0):  # first at x.5, second 11.5 s behind
        clock.now = 1_000_000.0 + moment
        beat_ = first if moment % 30 < 1 else second
        beat_.apply_entry(beat_.schedule["relay"])

    assert len(app.sent) == 3


def test_a_lone_beat_never_skips_its_own_runs(app, tmp_path):
    only = a_beat(app, tmp_path, "a")
    # Each run is due a whole period after the last one was sent, a little later each time.
    for run in range(20):
        clock.now = 1_000_000.0 + run * (PERIOD + 0.7)
        only.apply_entry(only.schedule["relay"])

    assert len(app.sent) == 20


def test_an_unreachable_cache_sends_the_task_rather_than_skip_it(app, tmp_path, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(beat, "claim_slot", down)
    only = a_beat(app, tmp_path, "a")

    only.apply_entry(only.schedule["relay"])

    assert len(app.sent) == 1


def test_interval_entries_take_their_interval_as_slot_and_calendar_entries_a_minute(app, tmp_path):
    scheduler = a_beat(app, tmp_path, "a")
    assert slot_seconds(scheduler.schedule["relay"]) == PERIOD
    assert slot_seconds(scheduler.schedule["nightly"]) == 60.0
