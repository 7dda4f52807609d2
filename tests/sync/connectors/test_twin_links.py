"""A tracker's link to its issue is data: only a plain http(s) URL is stored, and only one is an href."""

import re

import pytest
from django.urls import reverse

from sync.models import ExternalIssue
from sync.services.push import outbox_drain
from tests.factories import add_twin
from tests.fakes.github_server import FakeGitHub
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

SCRIPT_URL = "javascript:alert(document.domain)//"
HREF = re.compile(r"""href\s*=\s*["']?\s*([^"'\s>]*)""", re.IGNORECASE)


class ScriptLinkGitHub(FakeGitHub):
    """A GitHub whose issues' html_url is a javascript: URL (as an attacker-made answer would be)."""

    def issue_json(self, issue):
        return {**super().issue_json(issue), "html_url": SCRIPT_URL}


@pytest.fixture
def github():
    server = ScriptLinkGitHub().start()
    yield server
    server.stop()


def hrefs(html: str) -> list[str]:
    return [h.strip().lower() for h in HREF.findall(html)]


def pages(as_user, engineer, defect, ticket) -> dict[str, str]:
    client = as_user(engineer)
    return {
        name: client.get(path).content.decode()
        for name, path in {
            "defect": reverse("defects:detail", args=[defect.pk]),
            "ticket": reverse("tickets:detail", args=[ticket.pk]),
            "queue": reverse("defects:queue"),
        }.items()
    }


def test_a_script_link_from_the_tracker_is_stored_empty_and_never_becomes_an_href(
    github, github_connection, escalate, ticket, deliver, as_user, engineer
):
    defect = escalate(ticket)
    outbox_drain()  # the create's answer carries the script link
    body, headers = github.webhook("issues", 1, action="edited", secret=WEBHOOK_SECRET)
    assert SCRIPT_URL.encode() in body
    deliver(github_connection, body, headers)

    twin = ExternalIssue.objects.get(defect=defect)
    assert twin.url == ""
    for name, html in pages(as_user, engineer, defect, ticket).items():
        assert twin.key in html, name  # still shown, as text
        assert not any(h.startswith("javascript:") for h in hrefs(html)), name
        assert "javascript:" not in html.lower(), name


def test_a_script_link_already_stored_is_rendered_as_text_on_every_page(
    jira_connection, escalate, ticket, as_user, engineer
):
    defect = escalate(ticket)
    add_twin(defect, jira_connection, external_id="10001", key="HD-1", url=SCRIPT_URL)

    for name, html in pages(as_user, engineer, defect, ticket).items():
        assert "HD-1" in html, name
        assert not any(h.startswith("javascript:") for h in hrefs(html)), name


def test_a_plain_https_link_to_the_twin_is_still_a_link(jira_connection, escalate, ticket, as_user, engineer):
    defect = escalate(ticket)
    add_twin(defect, jira_connection, external_id="10001", key="HD-1", url="https://jira.example.com/browse/HD-1")

    for name, html in pages(as_user, engineer, defect, ticket).items():
        assert "https://jira.example.com/browse/hd-1" in hrefs(html), name
