"""Managers set up tracker connections in the portal: create, edit, maps, pause, delete, test."""

import pytest

from core.audit import audit_history
from core.models import Channel
from sync.models import Connection
from sync.services.connections import connection_create
from tests.factories import add_twin
from tests.fakes.github_server import FakeGitHub
from tests.fakes.jira_server import FakeJira

pytestmark = pytest.mark.django_db

TOKEN = "bot@example.com:jira-api-token"


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
def jira_connection(db, jira, manager):
    return connection_create(actor=manager, channel=Channel.API, name="Jira", kind="jira",
                             base_url=jira.base_url, token=TOKEN, project="HD")


def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_manager_creates_a_connection_and_the_token_is_never_shown(client, manager, jira):
    response = signed_in(client, manager).post("/sync/new/", {
        "name": "Jira", "kind": "jira", "base_url": jira.base_url, "project": "HD", "token": TOKEN,
    })

    connection = Connection.objects.get(name="Jira")
    assert response.status_code == 302 and response.url == f"/sync/{connection.pk}/"
    assert connection.token == TOKEN
    assert audit_history(connection).filter(action="created", channel=Channel.WEB).exists()
    for url in (f"/sync/{connection.pk}/", f"/sync/{connection.pk}/edit/"):
        html = client.get(url).content.decode()
        assert TOKEN not in html and "jira-api-token" not in html


@pytest.mark.parametrize("user", ["engineer", "agent"])
def test_engineers_and_agents_cannot_set_up_connections(request, client, user, jira_connection):
    client = signed_in(client, request.getfixturevalue(user))
    assert client.get("/sync/new/").status_code == 403
    assert client.post(f"/sync/{jira_connection.pk}/edit/", {"name": "x"}).status_code == 403
    assert client.post(f"/sync/{jira_connection.pk}/delete/").status_code == 403
    assert client.post(f"/sync/{jira_connection.pk}/test/").status_code == 403
    assert Connection.objects.filter(pk=jira_connection.pk, name="Jira").exists()


def test_a_bad_url_is_a_form_error(client, manager):
    response = signed_in(client, manager).post("/sync/new/", {
        "name": "Bad", "kind": "jira", "base_url": "javascript:alert(1)", "project": "HD", "token": "t",
    })

    assert response.status_code == 200
    assert "base_url" in response.context["form"].errors
    assert not Connection.objects.exists()


def test_editing_with_an_empty_token_keeps_the_stored_one(client, manager, jira_connection, jira):
    signed_in(client, manager).post(f"/sync/{jira_connection.pk}/edit/", {
        "name": "Jira Cloud", "kind": "jira", "base_url": jira.base_url, "project": "HD", "token": "",
    })

    jira_connection.refresh_from_db()
    assert (jira_connection.name, jira_connection.token) == ("Jira Cloud", TOKEN)


def test_a_status_map_is_saved_as_differences_and_checked(client, manager, jira_connection):
    client = signed_in(client, manager)
    form = client.get(f"/sync/{jira_connection.pk}/maps/status/").context["form"]
    values = {name: field.initial for name, field in form.fields.items()}

    client.post(f"/sync/{jira_connection.pk}/maps/status/", {**values, "needs_info": "Waiting for customer"})
    jira_connection.refresh_from_db()
    assert jira_connection.status_map == {"needs_info": "Waiting for customer"}

    response = client.post(f"/sync/{jira_connection.pk}/maps/status/", {**values, "fixed": ""})
    assert response.status_code == 200 and response.context["form"].errors


def test_pause_and_resume_are_the_managers_switch(client, manager, jira_connection):
    client = signed_in(client, manager)
    client.post(f"/sync/{jira_connection.pk}/switch/", {"enabled": "0"})
    jira_connection.refresh_from_db()
    assert jira_connection.enabled is False
    client.post(f"/sync/{jira_connection.pk}/switch/", {"enabled": "1"})
    jira_connection.refresh_from_db()
    assert jira_connection.enabled is True


def test_deleting_asks_first_and_refuses_a_connection_with_linked_defects(
    client, manager, jira_connection, ticket, agent
):
    from tests.factories import escalate

    client = signed_in(client, manager)
    assert "cannot be undone" in client.get(f"/sync/{jira_connection.pk}/delete/").content.decode()
    add_twin(escalate(ticket, agent), jira_connection, key="HD-1", url="https://jira.example/browse/HD-1")

    html = client.post(f"/sync/{jira_connection.pk}/delete/").content.decode()

    assert "switch it off instead" in html and "Pause it instead" in html
    assert Connection.objects.filter(pk=jira_connection.pk).exists()


def test_deleting_an_unlinked_connection(client, manager, jira_connection):
    response = signed_in(client, manager).post(f"/sync/{jira_connection.pk}/delete/")
    assert response.status_code == 302
    assert not Connection.objects.exists()


def test_testing_a_jira_connection_reports_the_project_and_account(client, manager, jira_connection):
    html = signed_in(client, manager).post(f"/sync/{jira_connection.pk}/test/").content.decode()

    assert "HD · Help desk defects" in html
    assert "Handoff bot" in html
    assert TOKEN not in html


def test_testing_a_jira_connection_with_an_issue_type_reads_the_project_by_its_key(client, manager, jira_connection):
    Connection.objects.filter(pk=jira_connection.pk).update(project="HD:Task")  # the documented form

    html = signed_in(client, manager).post(f"/sync/{jira_connection.pk}/test/").content.decode()

    assert "HD · Help desk defects" in html and "The test failed" not in html


def test_testing_a_github_connection_reports_the_repository(client, manager, github):
    connection = connection_create(actor=manager, channel=Channel.API, name="GitHub", kind="github",
                                   base_url=github.base_url, token="ghp-test-token", project="acme/billing")

    html = signed_in(client, manager).post(f"/sync/{connection.pk}/test/").content.decode()

    assert "acme/billing" in html and "handoff-bot" in html


def test_a_test_with_a_wrong_token_reports_the_cleaned_error(client, manager, jira, jira_connection):
    Connection.objects.filter(pk=jira_connection.pk).update(token="bot@example.com:wrong-token")

    html = signed_in(client, manager).post(f"/sync/{jira_connection.pk}/test/").content.decode()

    assert "The test failed" in html and "401" in html
    assert "wrong-token" not in html
