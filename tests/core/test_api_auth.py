import hashlib
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def get_token(username: str, password: str):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")


def test_a_user_exchanges_username_and_password_for_a_token_that_expires(agent):
    response = get_token(agent.username, PASSWORD)
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}
    expires = datetime.fromisoformat(response.json()["expires_at"])
    assert abs(expires - (timezone.now() + timedelta(days=settings.HANDOFF_API_TOKEN_DAYS))) < timedelta(minutes=1)


def test_each_exchange_issues_a_new_token_and_the_key_is_not_stored(agent):
    first = get_token(agent.username, PASSWORD).json()["token"]
    second = get_token(agent.username, PASSWORD).json()["token"]
    assert first != second
    stored = ApiToken.objects.filter(user=agent)
    assert stored.count() == 2
    assert not stored.filter(key_hash__in=[first, second]).exists()
    assert {t.key_hash for t in stored} == {hashlib.sha256(k.encode()).hexdigest() for k in (first, second)}


def test_the_token_then_authenticates_api_requests(agent, ticket):
    token = get_token(agent.username, PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/tickets/")
    assert response.status_code == 200
    assert response.json()["results"][0]["number"] == ticket.number


def test_a_wrong_password_is_a_400_and_gives_no_token(agent):
    response = get_token(agent.username, "not-the-password")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert response.json()["non_field_errors"]


def test_missing_credentials_are_a_400_by_field(db):
    response = APIClient().post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_an_inactive_user_gets_no_token(agent):
    agent.is_active = False
    agent.save()
    assert get_token(agent.username, PASSWORD).status_code == 400


def test_a_bad_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "token" in response.json()["detail"].lower()


def test_an_outsider_gets_a_token_but_no_data(outsider):
    token = get_token(outsider.username, PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/tickets/").status_code == 403


def test_a_browser_session_works_for_the_api_too(agent):
    client = APIClient()
    assert client.login(username=agent.username, password=PASSWORD)
    assert client.get("/api/customers/").status_code == 200
