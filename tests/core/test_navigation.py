"""The menu marks one item as the current page; the API root says what the API is."""

import re

import pytest

from core.context_processors import nav_section

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/", "home"), ("/defects/queue/", "queue"), ("/defects/12/", "defects"), ("/releases/reports/", "reports"),
        ("/releases/4/report/", "releases"), ("/tickets/new/", "tickets"), ("/account/preferences/", "preferences"),
        ("/accounts/login/", ""),
    ],
)
def test_each_page_belongs_to_one_menu_item(path, section):
    assert nav_section(path) == section


@pytest.mark.parametrize(("path", "label"), [("/defects/queue/", "Queue"), ("/releases/reports/", "Reports")])
def test_only_the_current_item_is_marked_for_screen_readers(as_user, manager, path, label):
    html = as_user(manager).get(path).content.decode()
    menu = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'aria-current="page">([^<]+)<', menu) == [label]


def test_the_menu_has_a_button_for_narrow_screens_and_no_inline_script(as_user, agent):
    html = as_user(agent).get("/").content.decode()
    assert '<button type="button" class="menu-button" aria-expanded="false" aria-controls="site-menu" hidden>' in html
    assert 'src="/static/js/menu.js"' in html
    assert "<script>" not in html and " onclick=" not in html


def test_the_api_root_says_what_the_api_is(api, agent):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(agent)
    html = client.get("/api/", HTTP_ACCEPT="text/html").content.decode()
    assert "The default basic root view for DefaultRouter" not in html
    assert "The Handoff REST API" in html
    assert api(agent).get("/api/").json()["tickets"].endswith("/api/tickets/")


def test_the_menu_and_shortcut_links_lead_where_their_views_are(as_user, manager):
    from django.urls import reverse

    from core.context_processors import NAV_URLS

    html = as_user(manager).get("/").content.decode()
    for name in NAV_URLS.values():
        assert f'href="{reverse(name)}"' in html or f'action="{reverse(name)}"' in html, name


def test_under_a_script_prefix_the_menu_links_carry_it(client, manager):
    """Served under /helpdesk/ (a WSGI server's SCRIPT_NAME), then at the root: each page its own links."""
    from django.test.utils import override_script_prefix

    client.force_login(manager)
    with override_script_prefix("/helpdesk/"):
        html = client.get("/").content.decode()
    plain = client.get("/").content.decode()

    menu = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/helpdesk/tickets/"' in menu and 'href="/helpdesk/defects/queue/"' in menu
    assert 'href="/tickets/"' in plain.split('<nav class="mainnav"', 1)[1]
