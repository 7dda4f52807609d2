"""A connection to the in-memory tracker, and the teams (engineering, product) that sync through it."""

import pytest

from defects.models import RoutingRule, Team
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


# The in-memory tracker's names for request statuses.
REQUEST_STATUSES = {
    "new": "Open", "under_review": "Open", "planned": "Open", "in_development": "Doing", "delivered": "Done",
    "declined": "Rejected", "duplicate": "Rejected", "converted": "Rejected",
}


@pytest.fixture
def product_team(db, product_manager, product) -> Team:
    """The product team a request rule sends the product's enhancement requests to."""
    team = Team.objects.create(name="Billing product", kind=Team.Kind.PRODUCT)
    team.members.add(product_manager)
    RoutingRule.objects.create(priority=1, product=product, team=team, kind=RoutingRule.Kind.REQUEST)
    return team


@pytest.fixture
def product_connection(connection, product_team) -> Connection:
    """The in-memory tracker, serving the product team's requests too."""
    connection.request_status_map = REQUEST_STATUSES
    connection.save(update_fields=["request_status_map"])
    product_team.connection = connection
    product_team.save(update_fields=["connection"])
    return connection
