"""Forgot your password: a link by email, followed, sets a new password that signs in."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"


def reset_link(settings) -> str:
    body = mail.outbox[-1].body
    match = re.search(re.escape(settings.HANDOFF_BASE_URL) + r"(/accounts/reset/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def main_content(response) -> str:
    """The page without the header, whose CSRF token differs on every answer."""
    return response.content.decode().split("<main", 1)[1]


def test_the_login_page_links_to_the_reset(client):
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/login/").content.decode()


def test_the_whole_reset_flow_sets_a_password_that_signs_in(client, settings, agent):
    settings.HANDOFF_BASE_URL = "https://handoff.example.com"
    response = client.post("/accounts/password-reset/", {"email": agent.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [agent.email]
    assert mail.outbox[0].subject == "Reset your Handoff password"

    link = reset_link(settings)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"

    client.logout()
    assert client.post("/accounts/login/", {"username": agent.username, "password": PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"username": agent.username, "password": NEW_PASSWORD}).status_code == 302


def test_the_link_uses_the_configured_address_not_the_requests_host(client, settings, agent):
    settings.HANDOFF_BASE_URL = "https://handoff.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    client.post("/accounts/password-reset/", {"email": agent.email}, HTTP_HOST="attacker.example")
    assert "attacker.example" not in mail.outbox[0].body
    assert "https://handoff.example.com/accounts/reset/" in mail.outbox[0].body


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, agent):
    known = client.post("/accounts/password-reset/", {"email": agent.email}, follow=True)
    mail.outbox.clear()
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.com"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain
    assert main_content(unknown) == main_content(known)
    assert mail.outbox == []


def test_a_link_works_only_once(client, settings, agent):
    client.post("/accounts/password-reset/", {"email": agent.email})
    link = reset_link(settings)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = client.get(link, follow=True)
    assert "This link is invalid" in again.content.decode()


def test_mismatched_passwords_are_a_form_error_and_keep_the_old_password(client, settings, agent):
    client.post("/accounts/password-reset/", {"email": agent.email})
    set_url = client.get(reset_link(settings), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "something-else-entirely"})
    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


def test_a_new_password_lifts_the_sign_in_lockout_of_the_account(client, settings, agent):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    for n in range(12):
        client.post("/accounts/login/", {"username": agent.username, "password": f"guess-{n}"})
    assert client.post("/accounts/login/", {"username": agent.username, "password": PASSWORD}).status_code == 429
    client.post("/accounts/password-reset/", {"email": agent.email})
    set_url = client.get(reset_link(settings), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.post("/accounts/login/", {"username": agent.username, "password": NEW_PASSWORD}).status_code == 302
