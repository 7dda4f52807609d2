"""`make bench-profile`'s clock: each moment of a request charged to exactly one part."""

import gc
import sys
import time

import pytest
from django.test import Client

from tools.bench import profile


def test_nested_parts_are_charged_only_their_own_time_and_add_up_to_the_whole():
    clock = profile.Clock()
    started = time.perf_counter()
    with clock.part("template"):
        time.sleep(0.02)
        with clock.part("database"):
            time.sleep(0.03)
    time.sleep(0.01)
    spent = clock.stop()
    whole = (time.perf_counter() - started) * 1000

    assert spent["database"] >= 30 and 20 <= spent["template"] < 30
    assert spent["python"] >= 10
    assert sum(spent.values()) == pytest.approx(whole, abs=1.0)


@pytest.mark.django_db
def test_a_page_s_time_is_split_into_its_parts(agent, ticket):
    client = Client()
    client.force_login(agent)

    result = profile.measure("ticket page", client.get, [f"/tickets/{ticket.pk}/"], repeat=3, warmup=1)

    assert result.status == 200 and len(result.totals) == 3
    assert min(result.queries) > 0
    for part in profile.PARTS:
        assert result.mean(part) > 0, part
    parts = sum(result.mean(part) for part in profile.PARTS)
    assert parts == pytest.approx(sum(result.totals) / 3, rel=0.05)
    assert "ticket page" in profile.table([result])


def test_the_profile_starts_as_a_served_process_does_with_start_up_frozen():
    gc.unfreeze()
    sys.modules.pop("handoff.wsgi", None)
    try:
        profile.start_as_served()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
