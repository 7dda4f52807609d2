"""A signed-in request reads its user and the user's roles together (core.auth.RoleModelBackend)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import roles
from core.auth import RoleModelBackend
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def assert_roles_read_with(queries, reader: str) -> None:
    """One query matching `reader` carries the group names, and no other query reads the group tables."""
    sqls = [query["sql"] for query in queries.captured_queries]
    reads = [sql for sql in sqls if reader in sql]
    assert len(reads) == 1 and "ARRAY(SELECT" in reads[0]
    others = [sql for sql in sqls if sql not in reads]
    assert not [sql for sql in others if '"auth_group"' in sql or '"auth_user_groups"' in sql]


def test_a_signed_in_page_reads_the_users_roles_in_the_users_own_query(client, agent):
    if connection.vendor != "postgresql":
        pytest.skip("the roles are read beside the user's row on PostgreSQL only")
    signed_in(client, agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/tickets/").status_code == 200
    assert_roles_read_with(queries, 'FROM "auth_user"')


def test_the_backend_gives_each_user_their_own_roles_and_none_to_a_user_without_groups(agent, engineer, outsider):
    backend = RoleModelBackend()
    assert roles.is_agent(backend.get_user(agent.pk)) and not roles.is_engineer(backend.get_user(agent.pk))
    assert roles.is_engineer(backend.get_user(engineer.pk))
    nobody = backend.get_user(outsider.pk)
    assert nobody == outsider and not roles.has_any_role(nobody)
    assert backend.get_user(10**9) is None


def test_a_role_taken_away_counts_from_the_next_page(client, agent):
    signed_in(client, agent)
    assert client.get("/tickets/").status_code == 200
    agent.groups.remove(Group.objects.get(name=roles.AGENTS))
    assert client.get("/tickets/").status_code == 403


def test_a_deactivated_user_is_signed_out_on_the_next_page(client, agent):
    signed_in(client, agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    answer = client.get("/tickets/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def _token_client(user):
    from rest_framework.test import APIClient

    from core.models import Channel
    from core.tokens import api_token_issue

    _, key = api_token_issue(user=user, name="ci", actor=user, channel=Channel.WEB)
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def test_an_api_token_brings_its_users_roles_in_the_tokens_own_query(agent):
    if connection.vendor != "postgresql":
        pytest.skip("the roles are read beside the token's row on PostgreSQL only")
    client = _token_client(agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/tickets/").status_code == 200
    assert_roles_read_with(queries, 'FROM "handoff_apitoken"')


def test_a_role_taken_away_counts_from_the_next_api_request(agent):
    client = _token_client(agent)
    assert client.get("/api/tickets/").status_code == 200
    agent.groups.remove(Group.objects.get(name=roles.AGENTS))
    assert client.get("/api/tickets/").status_code == 403
