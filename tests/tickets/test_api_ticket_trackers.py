"""The ticket API names each linked defect's issues in trackers, as the ticket page does."""

import pytest

from sync.models import Connection, ExternalIssue
from tests.factories import escalate
from tests.querycount import get_query_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def trackers(db):
    return (
        Connection.objects.create(name="Acme Jira", kind="jira", base_url="https://jira.example", token="t",
                                  project="HD"),
        Connection.objects.create(name="Acme GitHub", kind="github", base_url="https://api.github.com",
                                  token="t", project="acme/billing"),
    )


def twin(defect, connection, key, url):
    return ExternalIssue.objects.create(
        defect=defect, connection=connection, external_id=key, key=key, url=url
    )


def test_a_ticket_lists_its_defects_tracker_issues_in_the_list_and_on_its_own(api, agent, ticket, trackers):
    jira, github = trackers
    defect = escalate(ticket, agent)
    twin(defect, jira, "HD-7", "https://jira.example/browse/HD-7")
    twin(defect, github, "acme/billing#3", "https://github.com/acme/billing/issues/3")
    expected = [
        {"key": "acme/billing#3", "url": "https://github.com/acme/billing/issues/3", "tracker": "Acme GitHub",
         "kind": "github"},
        {"key": "HD-7", "url": "https://jira.example/browse/HD-7", "tracker": "Acme Jira", "kind": "jira"},
    ]

    body = api(agent).get(f"/api/tickets/{ticket.pk}/").json()
    row = api(agent).get("/api/tickets/").json()["results"][0]

    assert body["defects"][0]["trackers"] == expected
    assert row["defects"][0]["trackers"] == expected


def test_a_tracker_url_that_is_not_http_is_not_given_as_a_link(api, agent, ticket, trackers):
    defect = escalate(ticket, agent)
    ExternalIssue.objects.create(
        defect=defect, connection=trackers[0], external_id="1", key="HD-1", url="javascript:alert(1)"
    )

    body = api(agent).get(f"/api/tickets/{ticket.pk}/").json()

    assert body["defects"][0]["trackers"][0]["url"] is None


def test_the_list_costs_the_same_queries_with_tracker_issues_on_3_or_25_rows(agent, make_ticket, trackers):
    def add(count):
        for n in range(count):
            defect = escalate(make_ticket(subject=f"Problem {n}"), agent)
            for connection in trackers:
                twin(defect, connection, f"{connection.pk}-{defect.pk}", f"https://t.example/{defect.pk}")

    add(3)
    few = get_query_count(agent, "/api/tickets/", expect_rows=3)
    add(22)
    assert get_query_count(agent, "/api/tickets/", expect_rows=25) == few
