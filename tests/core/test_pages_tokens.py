"""/account/tokens/: see, create and revoke API tokens in the browser."""

import pytest
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEntry
from core.tokens import api_token_issue

pytestmark = pytest.mark.django_db


def test_the_header_links_to_the_token_page(client, agent):
    client.force_login(agent)
    assert 'href="/account/tokens/"' in client.get("/").content.decode()


def test_a_new_token_is_shown_once_and_then_works_for_the_api(client, agent):
    client.force_login(agent)
    response = client.post("/account/tokens/", {"name": "laptop script"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=agent)
    page = response.content.decode()
    key = page.split('<code class="new-token">')[1].split("</code>")[0]
    assert token.prefix == key[:6] and "laptop script" in page
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/tickets/").status_code == 200
    assert key not in client.get("/account/tokens/").content.decode()
    assert AuditEntry.objects.get(action="token issued", object_id=token.pk).channel == "web"


def test_a_token_without_a_name_is_a_form_error_and_creates_nothing(client, agent):
    client.force_login(agent)
    response = client.post("/account/tokens/", {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_lists_name_created_expires_and_last_used(client, agent, engineer):
    api_token_issue(user=agent, name="mine", actor=agent, channel="web")
    api_token_issue(user=engineer, name="theirs", actor=engineer, channel="web")
    client.force_login(agent)
    page = client.get("/account/tokens/").content.decode()
    assert "mine" in page and "theirs" not in page
    assert "never" in page  # last used


def test_revoking_my_token_from_the_page(client, agent):
    token, key = api_token_issue(user=agent, name="old", actor=agent, channel="web")
    client.force_login(agent)
    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "Revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == agent
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/tickets/").status_code == 401


def test_revoking_someone_elses_token_is_a_404(client, agent, engineer):
    token, _ = api_token_issue(user=engineer, name="theirs", actor=engineer, channel="web")
    client.force_login(agent)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_manager_sees_and_revokes_everyones_tokens(client, manager, engineer):
    token, _ = api_token_issue(user=engineer, name="theirs", actor=engineer, channel="web")
    client.force_login(manager)
    assert "theirs" in client.get("/account/tokens/").content.decode()
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == manager


def test_revoking_needs_a_post(client, agent):
    token, _ = api_token_issue(user=agent, name="old", actor=agent, channel="web")
    client.force_login(agent)
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
