import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_asset_is_served_by_the_portal_itself(client, agent):
    client.force_login(agent)

    html = client.get(reverse("tickets:list")).content.decode()

    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert "/static/css/handoff.css" in assets
    assert "/static/django_htmx/htmx.min.js" in assets
    assert all(url.startswith("/static/") for url in assets)
    for path in ("css/handoff.css", "django_htmx/htmx.min.js"):
        assert finders.find(path), path


def test_the_navigation_shows_admin_to_managers_only(client, agent, manager):
    client.force_login(agent)
    agent_html = client.get(reverse("tickets:list")).content.decode()
    client.force_login(manager)
    manager_html = client.get(reverse("tickets:list")).content.decode()

    for label in ("Dashboard", "Tickets", "Defects", "Releases"):
        assert f">{label}</a>" in agent_html
    assert ">Admin</a>" not in agent_html
    assert f'href="{reverse("admin:index")}">Admin</a>' in manager_html


def test_logging_in_through_the_form_and_out_again(client, agent):
    from tests.conftest import PASSWORD

    page = client.get(reverse("login"))
    assert '<label for="id_username">Username:</label>' in page.content.decode()

    response = client.post(reverse("login"), {"username": agent.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Log out" in response.content.decode()

    client.post(reverse("logout"))
    assert client.get(reverse("tickets:list")).status_code == 302


def test_a_wrong_password_is_reported_on_the_login_page(client, agent):
    response = client.post(reverse("login"), {"username": agent.username, "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
