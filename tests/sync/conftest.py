"""A connection to the in-memory tracker, and the team that syncs through it."""

import pytest

from sync.connectors import registry
from sync.models import Connection
from tests.factories import connect
from tests.sync import fake


@pytest.fixture
def tracker(monkeypatch) -> fake.FakeTracker:
    monkeypatch.setitem(registry.CONNECTORS, "fake", "tests.sync.fake.FakeConnector")
    registry.connector_class.cache_clear()
    monkeypatch.setattr(fake, "TRACKER", fake.FakeTracker())
    yield fake.TRACKER
    registry.connector_class.cache_clear()


@pytest.fixture
def connection(db, tracker, team, settings) -> Connection:
    settings.HANDOFF_SYNC_BACKOFF_SECONDS = 10
    return connect(
        team, name="fake-tracker", kind="fake", base_url="https://tracker.example", token="s3cret-token",
        project="BILL",
        status_map={"new": "Open", "triage": "Open", "in_progress": "Doing", "needs_info": "Waiting",
                    "in_verification": "Review", "fixed": "Done", "released": "Shipped",
                    "wont_fix": "Rejected", "cannot_reproduce": "Rejected", "duplicate": "Rejected",
                    "converted": "Rejected"},
        priority_map={"S1": "P1", "S2": "P2", "S3": "P3", "S4": "P4"},
    )
