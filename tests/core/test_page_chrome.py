"""What every page carries besides its content: the skip link, the icon, the keyboard shortcuts."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
STATIC = Path(__file__).resolve().parents[2] / "static"


def test_the_first_link_of_a_page_skips_to_its_content(client, agent):
    client.force_login(agent)
    html = client.get(reverse("tickets:list")).content.decode()
    body = html[html.index("<body"):]
    first_link = re.search(r"<a [^>]*>[^<]*</a>", body).group(0)
    assert first_link == '<a class="skip-link" href="#content">Skip to content</a>'
    assert '<main class="page" id="content" tabindex="-1">' in html


def test_the_sign_in_page_has_the_skip_link_and_the_icon_too(client):
    html = client.get(reverse("login")).content.decode()
    assert 'href="#content"' in html and 'rel="icon"' in html


def test_every_page_names_its_icon_and_the_browsers_own_guess_finds_it(client, agent):
    client.force_login(agent)
    html = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url == "/static/favicon.svg"
    assert (STATIC / "favicon.svg").read_text().startswith("<svg")


def test_the_shortcuts_are_listed_for_the_roles_that_have_them(client, agent, engineer):
    client.force_login(agent)
    html = client.get(reverse("home")).content.decode()
    assert '<dialog class="shortcuts" id="shortcut-help"' in html
    assert '<script src="/static/js/worklists.js" defer></script>' in html
    assert 'data-shortcut="g t"' in html and 'data-shortcut="g m"' in html
    assert 'data-shortcut="g q"' not in html and "New ticket</td>" in html

    client.force_login(engineer)
    html = client.get(reverse("home")).content.decode()
    assert 'data-shortcut="g q"' in html and "New ticket</td>" not in html


def test_the_shortcuts_script_is_a_static_file_with_no_inline_code_on_the_page(client, agent):
    client.force_login(agent)
    html = client.get(reverse("tickets:list")).content.decode()
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    script = (STATIC / "js" / "worklists.js").read_text()
    assert 'toggleHelp()' in script and "showModal" in script
