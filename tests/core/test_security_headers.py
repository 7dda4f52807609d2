"""Every page carries a Content-Security-Policy it can live with, and signed-in pages are not cached.

The policy forbids inline script, so each page is also read for what the browser
would refuse: a <script> with a body (other than a json_script data block), an
on*= handler, a javascript: link, a <style> block or a style="" attribute.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from defects.models import Defect
from tests.conftest import PASSWORD
from tests.factories import escalate, walk

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            scripted = (value or "").strip().lower().startswith("javascript:")
            if name in {"href", "src", "action", "formaction"} and scripted:
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style> block")
        if tag == "script" and "src" not in attributes:
            self._in_inline_script = attributes.get("type") != "application/json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_strict_policy_and_no_inline_code(response) -> None:
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert inline_code(response.content.decode()) == []


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_has_inline_script_style_or_handlers(template):
    # Catches pages the tests below do not open, such as a form's error state.
    source = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", template.read_text(), flags=re.DOTALL)
    assert inline_code(source) == []


@pytest.fixture
def defect(ticket, agent, engineer) -> Defect:
    return walk(escalate(ticket, agent), Defect.Status.IN_PROGRESS, engineer)


def test_the_login_page_has_a_strict_policy_and_no_inline_code(client):
    assert_strict_policy_and_no_inline_code(client.get(reverse("login")))


@pytest.mark.parametrize(
    "url_name",
    ["home", "tickets:list", "tickets:create", "defects:list", "releases:list", "notifications"],
)
def test_every_agent_page_has_a_strict_policy_and_no_inline_code(as_user, agent, url_name):
    assert_strict_policy_and_no_inline_code(as_user(agent).get(reverse(url_name)))


def test_the_ticket_and_defect_pages_have_a_strict_policy_and_no_inline_code(as_user, agent, ticket, defect):
    client = as_user(agent)
    assert_strict_policy_and_no_inline_code(client.get(reverse("tickets:detail", args=[ticket.pk])))
    assert_strict_policy_and_no_inline_code(client.get(reverse("tickets:escalate", args=[ticket.pk])))
    assert_strict_policy_and_no_inline_code(client.get(reverse("defects:detail", args=[defect.pk])))


def test_the_engineer_pages_have_a_strict_policy_and_no_inline_code(as_user, engineer, defect):
    client = as_user(engineer)
    for url in (reverse("defects:queue"), reverse("sync:list"), reverse("defects:detail", args=[defect.pk])):
        assert_strict_policy_and_no_inline_code(client.get(url))


def test_the_release_pages_and_charts_have_a_strict_policy_and_no_inline_code(as_user, manager, release, defect):
    client = as_user(manager)
    for url in (
        reverse("releases:detail", args=[release.pk]),
        reverse("releases:ship", args=[release.pk]),
        reverse("releases:report", args=[release.pk]),
        reverse("releases:charts"),
    ):
        assert_strict_policy_and_no_inline_code(client.get(url))


def test_the_charts_get_their_data_from_a_json_block_not_a_script(as_user, manager):
    html = as_user(manager).get(reverse("releases:charts")).content.decode()
    assert '<script id="chart-data" type="application/json">' in html


def test_htmx_is_told_not_to_inject_styles_or_eval_code(as_user, agent):
    html = as_user(agent).get(reverse("home")).content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>""" in html


def test_an_htmx_fragment_also_carries_the_policy(as_user, agent):
    response = as_user(agent).get(reverse("tickets:severity"), {"impact": "", "urgency": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    assert inline_code(response.content.decode()) == []


def test_the_api_docs_load_their_script_from_a_file_and_relax_only_styles(as_user, agent):
    client = as_user(agent)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    policy = directives(page)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    html = page.content.decode()
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_admin_keeps_its_scripts_in_files(client, manager):
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    response = client.get(reverse("admin:auth_user_change", args=[manager.pk]))
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    assert [found for found in inline_code(response.content.decode()) if "script" in found] == []


# Cache-Control


def test_a_signed_in_page_is_not_stored(as_user, agent):
    response = as_user(agent).get(reverse("tickets:list"))
    assert response["Cache-Control"] == "no-store, private"


def test_an_api_answer_to_a_token_user_is_not_stored(client, agent):
    token = client.post("/api/auth/token/", {"username": agent.username, "password": PASSWORD}).json()["token"]
    response = client.get("/api/tickets/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_an_api_answer_to_a_session_user_is_not_stored(as_user, agent):
    response = as_user(agent).get("/api/tickets/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_a_view_that_sets_its_own_cache_control_keeps_it(client):
    # The login page is never_cache; anonymous pages get nothing added either.
    response = client.get(reverse("login"))
    assert "no-store" in response["Cache-Control"]
    assert "must-revalidate" in response["Cache-Control"]


def test_an_anonymous_redirect_gets_no_cache_control_added(client):
    response = client.get(reverse("tickets:list"))
    assert response.status_code == 302
    assert not response.has_header("Cache-Control")


def test_static_files_stay_cacheable_for_a_signed_in_user(as_user, agent, settings):
    # WhiteNoise serves them, from the source folders here as in the demo.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = as_user(agent).get("/static/css/handoff.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
