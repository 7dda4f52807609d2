"""Local Jira and GitHub servers, a connection to each, and a way to deliver webhooks."""

import pytest
from django.core.cache import caches

from sync.models import Connection
from tests import factories
from tests.factories import connect
from tests.fakes.github_server import FakeGitHub
from tests.fakes.jira_server import FakeJira

WEBHOOK_SECRET = "whsec-shared-with-the-tracker"


@pytest.fixture(autouse=True)
def _fresh_rate_gates():
    # Rate-limit blocks and in-flight slots live in the cache; each test starts clean.
    caches["sync"].clear()
    yield
    caches["sync"].clear()


@pytest.fixture
def jira():
    server = FakeJira().start()
    yield server
    server.stop()


@pytest.fixture
def github():
    server = FakeGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def jira_connection(db, jira, team, settings) -> Connection:
    settings.HANDOFF_SYNC_BACKOFF_SECONDS = 10
    return connect(
        team, name="Jira Cloud", kind="jira", base_url=jira.base_url, token="bot@example.com:jira-api-token",
        project="HD", webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def github_connection(db, github, team, settings) -> Connection:
    settings.HANDOFF_SYNC_BACKOFF_SECONDS = 10
    return connect(
        team, name="GitHub", kind="github", base_url=github.base_url, token="ghp-test-token",
        project="acme/billing", webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def escalate(agent, component):
    """Escalate a fresh ticket to a defect (S2: a whole customer, degraded) in the connected team."""

    def run(ticket, title: str = "PDF export times out", **kwargs):
        return factories.escalate(ticket, agent, title=title, component=component, **kwargs)

    return run


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a webhook body with its headers to the portal's endpoint; the task it queues runs."""

    def post(connection: Connection, body: bytes, headers: dict[str, str]):
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/hooks/{connection.pk}/", data=body, content_type="application/json",
                               headers=extra)

    return post
