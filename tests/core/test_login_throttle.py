"""Password guessing: the login form and /api/auth/token/ lock per account and per client address."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GUESSES = 30


@pytest.fixture(autouse=True)
def _throttle(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def log_in(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def get_token(username: str, password: str, ip: str = "203.0.113.7"):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password},
                            format="json", REMOTE_ADDR=ip)


def let_the_cool_off_pass():
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))


def test_thirty_wrong_passwords_on_the_form_lock_the_account_even_for_the_right_one(client, agent, caplog):
    answers = [log_in(client, agent.username, f"guess-{n}").status_code for n in range(GUESSES)]
    assert answers[0] == 200 and answers[-1] == 429
    with caplog.at_level(logging.WARNING, logger="axes"):
        response = log_in(client, agent.username, PASSWORD)
    assert response.status_code == 429
    assert "Sign-in is locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still signed out
    assert any("Locking out" in r.getMessage() for r in caplog.records)


def test_after_the_cool_off_the_right_password_works_on_the_form(client, agent):
    for n in range(GUESSES):
        log_in(client, agent.username, f"guess-{n}")
    let_the_cool_off_pass()
    response = log_in(client, agent.username, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_thirty_wrong_passwords_on_the_token_endpoint_answer_429_with_a_clear_detail(agent):
    answers = [get_token(agent.username, f"guess-{n}").status_code for n in range(GUESSES)]
    assert answers[:9] == [400] * 9 and answers[-1] == 429
    response = get_token(agent.username, PASSWORD)
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Sign-in is locked for 15 minutes after too many failed attempts. "
                  "Try again later, or reset your password."
    }
    assert response["Retry-After"] == "900"
    assert "token" not in response.json()


def test_after_the_cool_off_the_token_endpoint_gives_a_token_again(agent):
    for n in range(GUESSES):
        get_token(agent.username, f"guess-{n}")
    let_the_cool_off_pass()
    response = get_token(agent.username, PASSWORD)
    assert response.status_code == 200 and response.json()["token"]


def test_guessing_on_the_api_locks_the_form_too(client, agent):
    for n in range(GUESSES):
        get_token(agent.username, f"guess-{n}")
    assert log_in(client, agent.username, PASSWORD, ip="198.51.100.9").status_code == 429


def test_an_account_locked_from_one_address_is_locked_from_every_address(client, agent):
    for n in range(GUESSES):
        log_in(client, agent.username, f"guess-{n}", ip="203.0.113.7")
    assert log_in(client, agent.username, PASSWORD, ip="198.51.100.9").status_code == 429


def test_one_address_guessing_across_many_accounts_is_locked_for_every_account(client, agent, engineer):
    for n in range(GUESSES):
        log_in(client, f"someone-{n}", "guess", ip="203.0.113.7")
    assert log_in(client, agent.username, PASSWORD, ip="203.0.113.7").status_code == 429
    assert get_token(engineer.username, PASSWORD, ip="203.0.113.7").status_code == 429
    # The accounts themselves are not locked: from elsewhere they sign in.
    assert log_in(client, agent.username, PASSWORD, ip="198.51.100.9").status_code == 302


def test_a_few_mistakes_then_the_right_password_sign_in_and_start_the_count_again(client, agent):
    for n in range(9):
        log_in(client, agent.username, f"guess-{n}")
    assert log_in(client, agent.username, PASSWORD).status_code == 302
    client.logout()
    for n in range(9):
        log_in(client, agent.username, f"again-{n}")
    assert log_in(client, agent.username, PASSWORD).status_code == 302


def test_the_lockout_page_offers_the_password_reset(client, agent):
    for n in range(GUESSES):
        log_in(client, agent.username, f"guess-{n}")
    page = log_in(client, agent.username, PASSWORD).content.decode()
    assert 'href="/accounts/password-reset/"' in page


def test_behind_a_trusted_proxy_the_address_comes_from_x_forwarded_for(settings, client, agent):
    settings.HANDOFF_TRUSTED_PROXIES = 1
    for n in range(GUESSES):
        client.post("/accounts/login/", {"username": f"someone-{n}", "password": "guess"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    # Another client behind the same proxy is not locked by the first one's guesses.
    other = client.post("/accounts/login/", {"username": agent.username, "password": PASSWORD},
                        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert other.status_code == 302
