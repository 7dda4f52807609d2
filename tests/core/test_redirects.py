"""Forms that send their user back where they came from: only to a page of this site."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.redirects import back_to, next_path

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("posted, expected", [
    ("/tickets/?page=2", "/tickets/?page=2"),
    ("x", None), ("tickets:list", None), ("", None), ("//evil.test/", None), ("https://evil.test/", None),
    ("http://testserver/tickets/", None), ("/\\evil.test", None),
])
def test_next_is_a_path_of_this_site_or_nothing(posted, expected):
    assert next_path(RequestFactory().post("/", {"next": posted})) == expected


def test_back_to_falls_back_to_the_named_page():
    assert back_to(RequestFactory().post("/", {"next": "x"}), "tickets:list").url == "/tickets/"
    assert back_to(RequestFactory().post("/", {"next": "/defects/"}), "tickets:list").url == "/defects/"


def test_the_list_forms_go_back_to_their_list_when_next_is_no_page(client, agent, engineer, make_ticket):
    from tests.factories import escalate

    ticket = make_ticket(assignee=agent)
    defect = escalate(make_ticket(), agent)
    client.force_login(agent)
    bulk = client.post("/tickets/bulk/", {"tickets": [ticket.pk], "action": "unassign", "next": "x"})
    refused = client.post("/views/", {"list": "nope", "name": "Mine", "next": "x"})
    client.force_login(engineer)
    queue = client.post("/defects/queue/bulk/", {"defects": [defect.pk], "action": "change_status", "to": "triage",
                                                 "next": "x"})

    assert (bulk.status_code, bulk.url) == (302, "/tickets/")
    assert (refused.status_code, refused.url) == (302, reverse("home"))
    assert (queue.status_code, queue.url) == (302, "/defects/queue/")
