"""The requests API and sending requests through the ticket's escalate endpoint."""

import pytest

from core.models import Notification
from enhancements.models import EnhancementRequest
from tests.factories import request_from


def send(client, ticket, **body):
    payload = {"kind": "enhancement", "title": "VAT per line", "problem": "Accountants need it.",
               "importance": "blocks_deal"}
    payload.update(body)
    return client.post(f"/api/tickets/{ticket.pk}/escalate/", payload, format="json")


def test_an_agent_sends_a_request_from_a_ticket(api, agent, ticket):
    answer = send(api(agent), ticket, workaround="They add it by hand.")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["key"].startswith("ENH-") and body["status"] == "new"
    assert (body["customer_count"], body["ticket_count"]) == (1, 1)
    assert body["target_release"] is None and body["delivered_release"] is None


def test_escalating_without_kind_still_makes_a_defect(api, agent, ticket):
    answer = api(agent).post(
        f"/api/tickets/{ticket.pk}/escalate/", {"title": "Crash", "impact": "single_user", "urgency": "degraded"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["key"].startswith("DEF-")


def test_an_unknown_kind_or_bad_fields_are_a_400(api, agent, ticket):
    refused = send(api(agent), ticket, kind="wish").json()
    assert refused == {"kind": ["'wish' is not a kind. Choose one of: defect, enhancement."]}
    answer = send(api(agent), ticket, title="", importance="urgent")
    assert answer.status_code == 400 and {"importance"} <= set(answer.json())
    assert not EnhancementRequest.objects.exists()


def test_a_second_ticket_joins_an_existing_request(api, agent, make_ticket, other_customer):
    first = send(api(agent), make_ticket()).json()
    answer = send(api(agent), make_ticket(customer=other_customer), request=first["id"], importance="nice_to_have")
    assert answer.status_code == 201, answer.content
    assert (answer.json()["id"], answer.json()["customer_count"]) == (first["id"], 2)


def test_asking_twice_is_a_409_naming_the_request(api, agent, ticket):
    first = send(api(agent), ticket).json()
    answer = send(api(agent), ticket)
    assert answer.status_code == 409 and answer.json()["key"] == first["key"]


def test_engineers_read_but_cannot_send_or_triage(api, agent, engineer, product_manager, ticket):
    request = request_from(ticket, agent)
    assert api(engineer).get("/api/requests/").status_code == 200
    assert send(api(engineer), ticket).status_code == 403
    answer = api(engineer).post(f"/api/requests/{request.pk}/transition/", {"to": "under_review"}, format="json")
    assert answer.status_code == 403
    assert api(agent).patch(f"/api/requests/{request.pk}/", {"title": "x"}, format="json").status_code == 403


def test_outsiders_see_nothing(api, outsider, agent, ticket):
    request = request_from(ticket, agent)
    assert api(outsider).get("/api/requests/").status_code == 403
    assert api(outsider).get(f"/api/requests/{request.pk}/").status_code == 403


def test_a_product_manager_plans_and_the_ticket_shows_it(api, agent, product_manager, make_ticket, release):
    ticket = make_ticket(assignee=agent)
    request = request_from(ticket, agent)
    pm = api(product_manager)
    assert pm.post(f"/api/requests/{request.pk}/transition/", {"to": "under_review"}, format="json").status_code == 200
    answer = pm.post(
        f"/api/requests/{request.pk}/transition/", {"to": "planned", "target_release": release.pk}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["target_release"]["version"] == "2.4.0"
    shown = api(agent).get(f"/api/tickets/{ticket.pk}/").json()["enhancement_request"]
    assert shown["key"] == request.key and shown["status"] == "planned"
    assert shown["note"] == "Planned for 2.4.0 (estimate, not a promise)"
    row = api(agent).get("/api/tickets/").json()["results"][0]
    assert row["enhancement_request"]["target_release"] == "2.4.0"
    assert Notification.objects.filter(user=agent, kind="request_status").count() == 2


def test_a_bad_transition_is_a_400_naming_the_allowed_moves(api, agent, manager, ticket):
    request = request_from(ticket, agent)
    answer = api(manager).post(f"/api/requests/{request.pk}/transition/", {"to": "delivered"}, format="json")
    assert answer.status_code == 400
    assert "allowed: Under review, Declined, Duplicate" in answer.json()["to"][0]


def test_declining_shows_the_reason_on_the_ticket(api, agent, product_manager, ticket):
    request = request_from(ticket, agent)
    pm = api(product_manager)
    assert pm.post(f"/api/requests/{request.pk}/transition/", {"to": "declined"}, format="json").status_code == 400
    pm.post(f"/api/requests/{request.pk}/transition/", {"to": "declined", "reason": "Not planned"}, format="json")
    shown = api(agent).get(f"/api/tickets/{ticket.pk}/").json()["enhancement_request"]
    assert (shown["status"], shown["decline_reason"]) == ("declined", "Not planned")


def test_list_filters_and_patch(api, agent, product_manager, make_ticket, component):
    request = request_from(make_ticket(), agent)
    pm = api(product_manager)
    answer = pm.patch(f"/api/requests/{request.pk}/", {"component": component.pk, "title": "VAT"}, format="json")
    assert answer.status_code == 200 and answer.json()["component_name"] == "Invoices"
    assert [r["key"] for r in pm.get(f"/api/requests/?component={component.pk}").json()["results"]] == [request.key]
    assert pm.get("/api/requests/?status=planned").json()["results"] == []
    assert pm.get("/api/requests/?status=bogus").status_code == 400
    assert pm.patch(f"/api/requests/{request.pk}/", {"title": ""}, format="json").status_code == 400


def test_a_patch_of_fields_it_does_not_change_is_a_400_naming_them_and_changes_nothing(
    api, agent, product_manager, make_ticket
):
    request = request_from(make_ticket(), agent)

    answer = api(product_manager).patch(f"/api/requests/{request.pk}/", {"status": "delivered", "title": "VAT",
                                                                         "demand": 99}, format="json")

    assert answer.status_code == 400
    assert answer.json() == {
        "status": ["Change it with POST /api/requests/{id}/transition/."], "demand": ["This field cannot be changed."],
    }
    request.refresh_from_db()
    assert (request.status, request.title) == ("new", "Export includes VAT per line")


@pytest.mark.parametrize("who", ["agent", "product_manager"])
def test_comments_and_similar(api, request, agent, ticket, who):
    enh = request_from(ticket, agent, title="Export with VAT per line")
    client = api(request.getfixturevalue(who))
    posted = client.post(f"/api/requests/{enh.pk}/comments/", {"body": "Two more asked"}, format="json")
    assert posted.status_code == 201
    assert [c["body"] for c in client.get(f"/api/requests/{enh.pk}/comments/").json()] == ["Two more asked"]
    assert [r["key"] for r in client.get("/api/requests/similar/?q=vat export").json()] == [enh.key]


def test_engineers_cannot_comment(api, agent, engineer, ticket):
    enh = request_from(ticket, agent)
    assert api(engineer).post(f"/api/requests/{enh.pk}/comments/", {"body": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("path", [
    "/api/requests/similar/?q=vat&product=99999999999999999999999",
    "/api/requests/?product=99999999999999999999999",
    "/api/requests/?component=99999999999999999999999",
])
def test_an_id_too_large_for_the_database_is_a_400_not_a_500(api, agent, path):
    response = api(agent).get(path)
    assert response.status_code == 400


def test_a_wanted_requests_detail_shows_its_newest_tickets_and_pages_them_all(
    api, agent, engineer, make_ticket, other_customer, monkeypatch
):
    from enhancements.api import serializers
    from enhancements.services.requests import request_link_ticket

    monkeypatch.setattr(serializers, "TICKETS_SHOWN", 2)
    first = make_ticket()
    request = request_from(first, agent)
    later = [make_ticket(customer=other_customer) for _ in range(3)]
    for ticket in later:
        request_link_ticket(ticket=ticket, request=request, importance="nice_to_have", actor=agent, channel="web")

    body = api(engineer).get(f"/api/requests/{request.pk}/").json()
    # The newest two links, and where to read every one: the detail stays small however wanted.
    assert [t["ticket"] for t in body["tickets"]] == [later[2].pk, later[1].pk]
    assert body["ticket_count"] == 4 and body["tickets_url"].endswith(f"/api/requests/{request.pk}/tickets/")
    assert body["tickets"][0]["customer_name"] == other_customer.name

    paged = api(engineer).get(f"/api/requests/{request.pk}/tickets/", {"page_size": 3}).json()
    assert paged["count"] == 4 and [t["ticket"] for t in paged["results"]] == [t.pk for t in reversed(later)]
    rest = api(engineer).get(paged["next"]).json()
    assert [t["ticket"] for t in rest["results"]] == [first.pk] and rest["next"] is None


def test_the_request_detail_reads_the_same_however_many_tickets_ask(api, agent, make_ticket, other_customer):
    from enhancements.services.requests import request_link_ticket
    from tests.querycount import get_query_count

    request = request_from(make_ticket(), agent)
    small = get_query_count(agent, f"/api/requests/{request.pk}/")
    for _ in range(4):
        request_link_ticket(ticket=make_ticket(customer=other_customer), request=request, importance="nice_to_have",
                            actor=agent, channel="web")
    assert get_query_count(agent, f"/api/requests/{request.pk}/") == small
    assert get_query_count(agent, f"/api/requests/{request.pk}/tickets/") == get_query_count(
        agent, f"/api/requests/{request.pk}/tickets/?page_size=1"
    )


def test_outsiders_cannot_page_a_requests_tickets(api, outsider, agent, ticket):
    request = request_from(ticket, agent)
    assert api(outsider).get(f"/api/requests/{request.pk}/tickets/").status_code == 403
    assert api(agent).get("/api/requests/999999/tickets/").status_code == 404
