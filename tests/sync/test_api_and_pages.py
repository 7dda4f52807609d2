"""Connections in the API and the admin, the webhook endpoint, and the sync health pages."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from defects.severity import Impact, Urgency
from sync.models import Connection, OutboxItem
from sync.services.connections import validate_base_url
from tests.factories import escalate, synced_defect

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Billing Redmine", "kind": "redmine", "base_url": "http://127.0.0.1:3000",
    "project": "billing", "token": "tok-0123456789abcdef",
}


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True


def test_a_manager_creates_a_connection_and_the_token_never_comes_back(api, manager):
    response = api(manager).post("/api/connections/", NEW, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert "token" not in body and body["has_token"] is True
    assert NEW["token"] not in response.content.decode()
    listed = api(manager).get("/api/connections/").content.decode()
    assert NEW["token"] not in listed
    assert Connection.objects.get().token == NEW["token"]
    assert not AuditEntry.objects.filter(new__contains=NEW["token"]).exists()


def test_agents_engineers_and_outsiders_cannot_use_connections(api, agent, engineer, outsider):
    for user in (agent, engineer, outsider):
        assert api(user).get("/api/connections/").status_code == 403
        assert api(user).post("/api/connections/", NEW, format="json").status_code == 403
    assert api(None).get("/api/connections/").status_code in (401, 403)


def test_bad_maps_and_missing_fields_are_refused_with_field_messages(api, manager):
    bad = {**NEW, "token": "", "status_map": {"nope": "New"}, "priority_map": {"S1": ""}}
    response = api(manager).post("/api/connections/", bad, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"token", "status_map", "priority_map"}
    assert not Connection.objects.exists()


def test_internal_addresses_are_refused_unless_allowed(settings, api, manager):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False
    for url in ("http://127.0.0.1:3000", "http://10.1.2.3", "http://localhost/", "http://[::1]/", "ftp://example.com"):
        response = api(manager).post("/api/connections/", {**NEW, "base_url": url}, format="json")
        assert response.status_code == 400 and "base_url" in response.json(), url
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True
    assert validate_base_url("http://127.0.0.1:3000/") == "http://127.0.0.1:3000"


def test_an_empty_token_on_edit_keeps_the_stored_one(api, manager):
    connection_id = api(manager).post("/api/connections/", NEW, format="json").json()["id"]
    response = api(manager).patch(f"/api/connections/{connection_id}/", {"token": "", "project": "ops"}, format="json")
    assert response.status_code == 200
    connection = Connection.objects.get()
    assert (connection.token, connection.project) == (NEW["token"], "ops")


def test_a_manager_sets_a_teams_connection(api, manager, team):
    connection_id = api(manager).post("/api/connections/", NEW, format="json").json()["id"]
    response = api(manager).patch(f"/api/teams/{team.pk}/", {"connection": connection_id}, format="json")
    assert response.status_code == 200 and response.json()["connection"] == connection_id
    team.refresh_from_db()
    assert team.connection_id == connection_id


def test_a_redmine_connection_takes_no_webhooks(client, connection):
    connection.kind = "redmine"
    connection.save()
    response = client.post(f"/hooks/{connection.pk}/", data=b"{}", content_type="application/json")
    assert response.status_code == 404


def test_the_health_page_shows_failed_rows_with_a_retry_button(client, engineer, connection, ticket, agent):
    defect = escalate(ticket, agent, title="Boom", impact=Impact.SINGLE_USER, urgency=Urgency.BLOCKED)
    OutboxItem.objects.update(status=OutboxItem.Status.FAILED, last_error="Tracker refused: Subject is too long")
    client.force_login(engineer)

    page = client.get(reverse("sync:detail", args=[connection.pk])).content.decode()
    assert "failed: Tracker refused: Subject is too long" in page and defect.key in page
    assert connection.token not in page

    item = OutboxItem.objects.get()
    response = client.post(reverse("sync:retry", args=[item.pk]))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status in (OutboxItem.Status.PENDING, OutboxItem.Status.DONE)


def test_agents_do_not_see_the_health_pages(client, agent, connection):
    client.force_login(agent)
    assert client.get(reverse("sync:list")).status_code == 403
    assert client.get(reverse("sync:detail", args=[connection.pk])).status_code == 403


def test_the_defect_api_and_pages_show_the_twin(api, client, agent, engineer, connection, ticket, tracker):
    defect = synced_defect(escalate, ticket, agent, title="Boom", impact=Impact.SINGLE_USER, urgency=Urgency.BLOCKED)
    issue = tracker.only_issue()

    body = api(engineer).get(f"/api/defects/{defect.pk}/").json()
    assert body["external_issues"] == [{
        "connection": "fake-tracker", "external_id": str(issue.id), "key": f"FAKE-{issue.id}",
        "url": f"https://tracker.example/{issue.id}",
    }]
    client.force_login(agent)
    defect_page = client.get(reverse("defects:detail", args=[defect.pk])).content.decode()
    assert f"https://tracker.example/{issue.id}" in defect_page
    assert f"FAKE-{issue.id}" in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
