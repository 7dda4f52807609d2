"""A request's tracker twins on its page and in its JSON, and sending it to a tracker by hand."""

import pytest

from sync.models import Connection, ExternalIssue, OutboxItem, SyncConflict
from tests.factories import request_from


@pytest.fixture
def tracker_connection(db) -> Connection:
    """A connection no product team uses: requests reach it only when sent by hand."""
    return Connection.objects.create(name="Product Jira", kind="jira", base_url="https://acme.atlassian.net",
                                     token="bot@acme.test:secret-token", project="PM")


def with_twin(request, connection) -> ExternalIssue:
    return ExternalIssue.objects.create(request=request, connection=connection, external_id="10042", key="PM-7",
                                        url="https://acme.atlassian.net/browse/PM-7")


def test_the_request_page_shows_its_twin_with_a_link_and_its_conflicts(
    as_user, agent, ticket, tracker_connection
):
    request = request_from(ticket, agent)
    twin = with_twin(request, tracker_connection)
    SyncConflict.objects.create(request=request, connection=tracker_connection, field="status",
                                portal_value="new", tracker_value="Done", winner="portal",
                                note="ENH-1 has no shipped target release.")

    page = as_user(agent).get(f"/requests/{request.pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f'Product Jira: <a href="{twin.url}" rel="noopener">PM-7</a>' in html
    assert "has no shipped target release" in html
    assert 'id="send-to-tracker"' not in html  # agents do not send requests to trackers


def test_a_product_manager_sends_a_request_no_tracker_holds_and_sees_it_on_its_way(
    as_user, agent, product_manager, ticket, tracker_connection
):
    request = request_from(ticket, agent)
    page = as_user(product_manager).get(f"/requests/{request.pk}/")
    assert 'id="send-to-tracker"' in page.content.decode()

    answer = as_user(product_manager).post(f"/requests/{request.pk}/send-to-tracker/",
                                           {"connection": tracker_connection.pk})

    assert answer.status_code == 302
    row = OutboxItem.objects.get()
    assert (row.request, row.connection, row.kind) == (request, tracker_connection, "create")
    page = as_user(product_manager).get(f"/requests/{request.pk}/").content.decode()
    assert 'id="send-to-tracker"' not in page
    assert "Create to Product Jira: pending" in page


def test_a_failed_send_shows_its_error_on_the_request_page(
    as_user, agent, product_manager, ticket, tracker_connection
):
    request = request_from(ticket, agent)
    OutboxItem.objects.create(request=request, connection=tracker_connection, kind="create", status="failed",
                              last_error="Jira refused POST /rest/api/2/issue: issuetype: valid issue type is required")

    page = as_user(product_manager).get(f"/requests/{request.pk}/").content.decode()

    assert "failed: Jira refused POST /rest/api/2/issue: issuetype: valid issue type is required" in page
    assert 'id="send-to-tracker"' in page  # a failed create may be sent again


def test_only_product_managers_and_managers_send_requests_to_trackers(
    as_user, agent, engineer, ticket, tracker_connection
):
    request = request_from(ticket, agent)
    for user in (agent, engineer):
        answer = as_user(user).post(f"/requests/{request.pk}/send-to-tracker/", {"connection": tracker_connection.pk})
        assert answer.status_code == 403
    assert not OutboxItem.objects.exists()


def test_the_request_json_lists_its_twins_as_a_defects_does(api, agent, ticket, tracker_connection):
    request = request_from(ticket, agent)
    with_twin(request, tracker_connection)

    answer = api(agent).get(f"/api/requests/{request.pk}/")

    assert answer.status_code == 200
    assert answer.json()["external_issues"] == [{
        "connection": "Product Jira", "external_id": "10042", "key": "PM-7",
        "url": "https://acme.atlassian.net/browse/PM-7",
    }]


def test_the_api_sends_a_request_to_a_tracker_once(api, agent, product_manager, ticket, tracker_connection):
    request = request_from(ticket, agent)
    url = f"/api/requests/{request.pk}/send-to-tracker/"

    assert api(agent).post(url, {"connection": tracker_connection.pk}, format="json").status_code == 403
    sent = api(product_manager).post(url, {"connection": tracker_connection.pk}, format="json")
    again = api(product_manager).post(url, {"connection": tracker_connection.pk}, format="json")
    unknown = api(product_manager).post(url, {"connection": 999999}, format="json")

    assert sent.status_code == 202 and sent.json()["key"] == request.key
    assert again.status_code == 400
    assert again.json() == {"connection": [f"{request.key} is on its way to Product Jira."]}
    assert unknown.status_code == 400 and "connection" in unknown.json()
    assert OutboxItem.objects.filter(request=request, kind="create").count() == 1
