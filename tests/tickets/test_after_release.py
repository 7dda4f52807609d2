"""After a fix ships: the estimate goes, the ticket says what to do next, and escalating again asks
whether the problem is back (the defect reopens) or new. A defect is fixed only in a named release."""

import pytest
from django.urls import reverse

from core.audit import audit_history
from core.models import Channel
from defects.models import Defect
from defects.services.changes import defect_update
from releases.services.ship import release_ship
from tests.factories import escalate, move, walk
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

S = Defect.Status


@pytest.fixture
def fixed(ticket, agent, engineer, release):
    """The ticket's defect, planned for `release` and fixed (so fixed in it), not shipped yet."""
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    return move(defect, S.FIXED, engineer)


@pytest.fixture
def shipped(fixed, release, manager):
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    fixed.refresh_from_db()
    assert fixed.status == S.RELEASED
    return fixed


def page(client, user, ticket) -> str:
    client.force_login(user)
    return client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()


def test_the_estimate_goes_once_the_defect_names_the_release_with_its_fix(client, agent, ticket, fixed):
    html = page(client, agent, ticket)
    assert 'id="planned-release"' not in html and "estimate, not a promise" not in html
    assert "2.4.0" in html[html.index('id="fixed-in-release"'):][:200]


def test_a_shipped_fix_suggests_telling_the_customer_and_closing(client, agent, engineer, ticket, shipped):
    html = page(client, agent, ticket)
    step = html[html.index('id="next-step"'):]
    assert "Next step: tell the customer, then close" in step and "shipped in 2.4.0" in step
    assert f"Customer told: close {ticket.number}" in step
    assert 'id="planned-release"' not in html
    # Engineers see the outcome, not the help desk's next step.
    assert 'id="next-step"' not in page(client, engineer, ticket)

    client.force_login(agent)
    response = client.post(
        reverse("tickets:status", args=[ticket.pk]),
        {"status": "closed", "reason": "Told the customer the fix shipped in 2.4.0."},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CLOSED
    assert 'id="next-step"' not in page(client, agent, ticket)


def test_escalating_again_asks_whether_the_problem_is_back_or_new(client, agent, ticket, shipped):
    client.force_login(agent)
    html = client.get(reverse("tickets:escalate", args=[ticket.pk])).content.decode()
    assert "Is the customer's problem the same one back, or a new one?" in html
    assert f"Reopen {shipped.key}" in html and 'id="problem-back-form"' in html
    assert f'href="{reverse("tickets:escalate", args=[ticket.pk])}?new=1"' in html
    assert "New defect" not in html

    html = client.get(reverse("tickets:escalate", args=[ticket.pk]), {"new": "1"}).content.decode()
    assert "New defect" in html and "problem-back-form" not in html


def test_the_problem_back_reopens_the_released_defect_and_the_ticket_follows(client, agent, ticket, shipped):
    client.force_login(agent)
    url = reverse("tickets:problem-back", args=[ticket.pk])

    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()

    response = client.post(url, {"reason": "Still times out on 2.4.0 with 600 lines."})
    assert response.status_code == 302
    defect = Defect.objects.get(pk=shipped.pk)
    assert (defect.status, defect.fixed_in_release) == (S.TRIAGE, None)
    assert defect.status_reason == f"The problem is back ({ticket.number}): Still times out on 2.4.0 with 600 lines."
    entry = audit_history(defect).filter(field="status").first()
    assert (entry.old, entry.new, entry.actor, entry.reason) == ("released", "triage", agent, defect.status_reason)
    assert audit_history(defect).filter(field="fixed_in_release", old="2.4.0", new="").exists()
    assert audit_history(ticket).filter(action="reopened", field="defect", new=defect.key).exists()
    # The history reads as sentences.
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f"reopened defect <q>{defect.key}</q>" in html
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.AWAITING_ENGINEERING
    assert Defect.objects.count() == 1


def test_the_api_reopens_a_released_fix_and_refuses_without_one(api, agent, make_ticket, ticket, shipped):
    response = api(agent).post(f"/api/tickets/{ticket.pk}/problem-back/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()

    response = api(agent).post(f"/api/tickets/{ticket.pk}/problem-back/", {"reason": "Back again"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["key"], response.json()["status"]) == (shipped.key, "triage")

    response = api(agent).post(f"/api/tickets/{ticket.pk}/problem-back/", {"reason": "Back again"}, format="json")
    assert response.status_code == 409  # open again: nothing to reopen
    fresh = make_ticket()
    response = api(agent).post(f"/api/tickets/{fresh.pk}/problem-back/", {"reason": "Back"}, format="json")
    assert response.status_code == 400
    assert "has no released fix to reopen" in response.json()["non_field_errors"][0]


def test_moving_to_fixed_without_a_release_is_refused_on_the_page(client, agent, engineer, ticket):
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, engineer)
    client.force_login(engineer)

    response = client.post(reverse("defects:transition", args=[defect.pk]), {"to": "fixed"})

    assert response.status_code == 400
    assert f"Say in which release {defect.key} is fixed before moving it to Fixed" in response.content.decode()
    assert Defect.objects.get(pk=defect.pk).status == S.IN_VERIFICATION


def test_moving_to_fixed_without_a_release_is_a_400_in_the_api(api, agent, engineer, ticket, release):
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, engineer)
    url = f"/api/defects/{defect.pk}/transition/"

    response = api(engineer).post(url, {"to": "fixed"}, format="json")
    assert response.status_code == 400
    assert "set its fixed-in release, or the release it is planned for" in response.json()["to"][0]

    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    response = api(engineer).post(url, {"to": "fixed"}, format="json")
    assert response.status_code == 200
    assert Defect.objects.get(pk=defect.pk).fixed_in_release == release
