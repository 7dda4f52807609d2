"""Outbound calls to trackers over real HTTP: no redirect is followed, the address is checked
when the call is made, and a tracker's error page is never shown."""

import pytest

from sync.connectors import connector_for
from sync.connectors.base import ConnectorError
from sync.models import Connection, OutboxItem
from sync.services.push import outbox_drain
from tests.fakes.server import FakeServer

pytestmark = pytest.mark.django_db

TOKENS = {"jira": "bot@example.com:jira-api-token", "github": "ghp-test-token", "redmine": "redmine-api-key-0123"}
PROJECTS = {"jira": "HD", "github": "acme/billing", "redmine": "billing"}
API_ROOT = {"jira": "", "github": "/api/v3", "redmine": ""}


@pytest.fixture
def servers():
    started = []

    def start() -> FakeServer:
        server = FakeServer().start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def connection_to(base_url: str, kind: str) -> Connection:
    # Stored directly, as a connection saved when its name still resolved elsewhere.
    return Connection.objects.create(
        name=f"{kind} tracker", kind=kind, base_url=base_url, token=TOKENS[kind], project=PROJECTS[kind],
    )


def first_call(connection: Connection) -> None:
    """Whatever the connector does first when polling: every kind makes a request."""
    connector_for(connection).pull("")


@pytest.mark.parametrize("kind", ["jira", "github", "redmine"])
def test_a_redirect_to_another_server_is_not_followed_and_the_error_names_its_status(kind, servers, settings):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True  # both servers listen on 127.0.0.1
    tracker, elsewhere = servers(), servers()
    tracker.fail_next(302, headers={"Location": f"{elsewhere.origin}/steal"}, times=5)
    connection = connection_to(tracker.origin + API_ROOT[kind], kind)

    with pytest.raises(ConnectorError) as caught:
        first_call(connection)

    assert tracker.log, "the tracker was called"
    assert elsewhere.log == []  # neither the request nor its credentials went on
    assert "302" in caught.value.message and "redirect" in caught.value.message
    assert caught.value.permanent


@pytest.mark.parametrize("kind", ["jira", "github", "redmine"])
def test_a_host_that_resolves_to_an_internal_address_at_request_time_is_refused(kind, servers, settings):
    tracker = servers()
    port = tracker.origin.rsplit(":", 1)[1]
    connection = connection_to(f"http://localhost:{port}{API_ROOT[kind]}", kind)
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False

    with pytest.raises(ConnectorError) as caught:
        first_call(connection)

    assert tracker.log == []  # not one byte of a request, nor the token, reached it
    assert "internal address" in caught.value.message and caught.value.permanent


def test_the_same_host_is_called_when_internal_addresses_are_allowed(servers, settings):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True
    tracker = servers()
    port = tracker.origin.rsplit(":", 1)[1]

    with pytest.raises(ConnectorError):
        first_call(connection_to(f"http://localhost:{port}", "jira"))  # the bare server answers 404

    assert tracker.log


def test_an_html_error_page_from_jira_is_not_shown_only_its_status(
    jira, jira_connection, escalate, ticket, settings
):
    settings.HANDOFF_SYNC_MAX_ATTEMPTS = 1
    page = "<html><body><script>alert(1)</script><h1>Proxy error</h1>internal.corp:8443 secret</body></html>"
    jira.fail_next(400, body=page, headers={"Content-Type": "text/html"}, method="POST", times=3)
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get()
    assert "400" in row.last_error
    assert "secret" not in row.last_error and "<" not in row.last_error and "Proxy error" not in row.last_error


def test_a_long_jira_error_message_is_shortened_and_stripped_of_markup_and_control_characters(
    jira, jira_connection, escalate, ticket
):
    reason = "Field <b>summary</b>\r\nis wrong. " + "x" * 500
    jira.fail_next(400, body={"errorMessages": [reason], "errors": {}}, method="POST", times=3)
    escalate(ticket)

    outbox_drain()

    row = OutboxItem.objects.get()
    assert "<b>" not in row.last_error and "\r" not in row.last_error and "\n" not in row.last_error
    assert "Field summary is wrong." in row.last_error and "x" * 500 not in row.last_error
