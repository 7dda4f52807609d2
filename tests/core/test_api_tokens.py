"""API tokens expire and are revoked: by their owner, or by a manager for anyone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def issue(user) -> str:
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": PASSWORD,
                                                     "name": "build server"}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_an_expired_token_is_a_401(agent):
    key = issue(agent)
    assert with_token(key).get("/api/tickets/").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = with_token(key).get("/api/tickets/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_a_401(agent):
    key = issue(agent)
    token = ApiToken.objects.get(user=agent)
    assert with_token(key).delete(f"/api/auth/tokens/{token.pk}/").status_code == 204
    assert with_token(key).get("/api/tickets/").status_code == 401


def test_a_user_lists_their_tokens_without_keys(agent, engineer):
    key = issue(agent)
    issue(engineer)
    response = with_token(key).get("/api/auth/tokens/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["user"] for row in rows] == [agent.username]
    assert rows[0]["name"] == "build server" and rows[0]["expired"] is False
    assert rows[0]["last_used_at"] is not None
    assert key not in response.content.decode()
    assert rows[0]["prefix"] == key[:6]


def test_a_user_cannot_revoke_another_users_token(agent, engineer):
    issue(engineer)
    theirs = ApiToken.objects.get(user=engineer)
    response = with_token(issue(agent)).delete(f"/api/auth/tokens/{theirs.pk}/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_manager_sees_and_revokes_anyones_token(agent, manager):
    agent_key = issue(agent)
    theirs = ApiToken.objects.get(user=agent)
    client = with_token(issue(manager))
    assert {row["user"] for row in client.get("/api/auth/tokens/").json()["results"]} == {
        agent.username, manager.username}
    assert client.delete(f"/api/auth/tokens/{theirs.pk}/").status_code == 204
    assert with_token(agent_key).get("/api/tickets/").status_code == 401
    theirs.refresh_from_db()
    assert theirs.revoked_by == manager


def test_a_revoked_token_is_no_longer_listed_and_revoking_again_is_a_404(agent):
    key = issue(agent)
    other = ApiToken.objects.get(user=agent)
    client = with_token(issue(agent))
    assert client.delete(f"/api/auth/tokens/{other.pk}/").status_code == 204
    assert other.pk not in [row["id"] for row in client.get("/api/auth/tokens/").json()["results"]]
    assert client.delete(f"/api/auth/tokens/{other.pk}/").status_code == 404
    assert with_token(key).get("/api/tickets/").status_code == 401


def test_issuing_and_revoking_write_audit_rows_with_who_and_the_channel(agent, manager):
    issue(agent)
    token = ApiToken.objects.get(user=agent)
    with_token(issue(manager)).delete(f"/api/auth/tokens/{token.pk}/")
    rows = AuditEntry.objects.filter(object_id=token.pk, object_repr=str(token)).order_by("at", "id")
    assert [(r.action, r.actor, r.channel) for r in rows] == [
        ("token issued", agent, "api"), ("token revoked", manager, "api")]
    assert all(token.key_hash not in (r.old + r.new + r.object_repr) for r in rows)


def test_an_outsider_manages_their_own_tokens_but_reads_no_data(outsider):
    key = issue(outsider)
    client = with_token(key)
    assert client.get("/api/tickets/").status_code == 403
    assert client.get("/api/auth/tokens/").status_code == 200


def test_anonymous_visitors_get_no_token_list(db):
    assert APIClient().get("/api/auth/tokens/").status_code == 401
