"""Bulk changes to tickets: through the services, one at a time, each audited; and through the API."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry, Channel
from tests.factories import escalate
from tickets.models import Ticket
from tickets.services.bulk import MAX_TICKETS, tickets_bulk_assign, tickets_bulk_set_status
from tickets.services.tickets import ticket_assign

pytestmark = pytest.mark.django_db
BULK = "/api/tickets/bulk/"


def test_assigning_refuses_a_user_who_does_not_work_tickets(ticket, agent, engineer):
    with pytest.raises(ValidationError) as refused:
        ticket_assign(ticket=ticket, assignee=engineer, actor=agent, channel=Channel.WEB)
    assert refused.value.message_dict == {"assignee": [f"{engineer.username} is not an agent or a manager."]}
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_assigning_to_whom_it_is_already_assigned_changes_and_audits_nothing(ticket, agent):
    ticket_assign(ticket=ticket, assignee=agent, actor=agent, channel=Channel.WEB)
    assert not AuditEntry.objects.filter(field="assignee").exists()


def test_a_bulk_status_change_reports_each_refused_ticket_and_changes_the_others(make_ticket, agent):
    tickets = [make_ticket(subject=f"T{n}") for n in range(2)]

    outcome = tickets_bulk_set_status(tickets=tickets, status="no-such-status", actor=agent, channel=Channel.WEB)

    assert outcome.done == []
    assert [(t.pk, reasons) for t, reasons in outcome.refused] == [
        (t.pk, ["Unknown ticket status 'no-such-status'."]) for t in tickets
    ]


def test_a_bulk_assignment_audits_each_ticket_with_its_channel(make_ticket, agent, other_agent):
    tickets = [make_ticket(subject=f"T{n}") for n in range(3)]

    outcome = tickets_bulk_assign(tickets=tickets, assignee=other_agent, actor=agent, channel=Channel.API)

    assert outcome.done == tickets and outcome.refused == []
    assert AuditEntry.objects.filter(field="assignee", channel=Channel.API, new=other_agent.username).count() == 3


def test_a_bulk_change_takes_a_bounded_number_of_tickets(ticket, agent):
    with pytest.raises(ValidationError):
        tickets_bulk_assign(tickets=[ticket] * (MAX_TICKETS + 1), assignee=None, actor=agent, channel=Channel.WEB)
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


# The API


def test_the_api_moves_tickets_and_names_the_ones_it_changed(api, make_ticket, agent):
    first, second = make_ticket(subject="A"), make_ticket(subject="B")

    response = api(agent).post(BULK, {"tickets": [first.pk, second.pk], "action": "status", "status": "open",
                                      "reason": "Triaged"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"done": [second.number, first.number], "refused": []}
    assert AuditEntry.objects.filter(field="status", new="open", channel=Channel.API, reason="Triaged").count() == 2


def test_the_api_lists_refused_tickets_with_the_services_reason(api, make_ticket, agent, engineer):
    ticket = make_ticket()

    response = api(agent).post(BULK, {"tickets": [ticket.pk], "action": "assign", "assignee": engineer.pk},
                               format="json")

    assert response.status_code == 200
    assert response.json() == {"done": [], "refused": [{
        "id": ticket.pk, "number": ticket.number,
        "errors": [f"{engineer.username} is not an agent or a manager."],
    }]}


@pytest.mark.parametrize("body,field", [
    ({"tickets": [], "action": "unassign"}, "tickets"),
    ({"tickets": [1], "action": "assign"}, "assignee"),
    ({"tickets": [1], "action": "status", "status": "bogus"}, "status"),
    ({"tickets": [1], "action": "delete"}, "action"),
    ({"tickets": [99999], "action": "unassign"}, "tickets"),
    ({"tickets": list(range(1, MAX_TICKETS + 2)), "action": "unassign"}, "tickets"),
])
def test_the_api_answers_a_bad_bulk_request_with_field_errors_and_changes_nothing(api, ticket, agent, body, field):
    body = {**body, "tickets": [ticket.pk if pk == 1 else pk for pk in body["tickets"]]}
    response = api(agent).post(BULK, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_engineers_cannot_change_tickets_in_bulk(api, ticket, agent, engineer):
    escalate(ticket, agent)
    assert api(engineer).post(BULK, {"tickets": [ticket.pk], "action": "unassign"}, format="json").status_code == 403


def test_the_api_sorts_and_filters_the_ticket_list_as_the_page_does(api, make_ticket, agent, other_agent):
    make_ticket(subject="Banana")
    make_ticket(subject="Apple", actor=other_agent)
    make_ticket(subject="Cherry")

    def subjects(**params):
        response = api(agent).get("/api/tickets/", params)
        assert response.status_code == 200, response.content
        return [row["subject"] for row in response.json()["results"]]

    assert subjects(sort="subject") == ["Apple", "Banana", "Cherry"]
    assert subjects(sort="-subject", assignee=agent.pk) == ["Cherry", "Banana"]
    assert subjects(waiting="true") == []
    assert api(agent).get("/api/tickets/", {"sort": "password"}).status_code == 400
