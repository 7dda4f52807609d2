"""A help-desk status that waits on someone needs the link it waits on: offered only then, refused otherwise."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from core.models import Channel
from defects.models import Defect
from enhancements.models import EnhancementRequest
from tests.factories import escalate, request_from, walk
from tickets.models import Ticket
from tickets.services.status import ticket_status_choices
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db

T = Ticket.Status
NO_LINK = "New, Open, Awaiting customer, Resolved, Closed"


def set_status(ticket, status, actor):
    with transaction.atomic():
        return ticket_set_status(ticket=ticket, status=status, actor=actor, channel=Channel.WEB)


def test_a_ticket_without_a_defect_cannot_await_engineering(ticket, agent):
    with pytest.raises(ValidationError) as excinfo:
        set_status(ticket, T.AWAITING_ENGINEERING, agent)
    assert excinfo.value.message_dict["status"] == [
        f"{ticket.number} cannot be “Awaiting engineering”: it is linked to no defect engineering is still "
        f"working on; escalate it or link it first. It can be: {NO_LINK}."
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == T.NEW


def test_a_ticket_without_an_open_request_cannot_await_product_management(ticket, agent):
    with pytest.raises(ValidationError) as excinfo:
        set_status(ticket, T.AWAITING_PRODUCT, agent)
    assert "it is linked to no open enhancement request" in excinfo.value.message_dict["status"][0]


@pytest.mark.parametrize("defect_status", [Defect.Status.IN_PROGRESS, Defect.Status.FIXED])
def test_a_defect_engineering_still_owes_lets_the_ticket_await_engineering(ticket, agent, engineer, defect_status):
    walk(escalate(ticket, agent), defect_status, engineer)
    ticket = set_status(Ticket.objects.get(pk=ticket.pk), T.AWAITING_CUSTOMER, agent)
    assert set_status(ticket, T.AWAITING_ENGINEERING, agent).status == T.AWAITING_ENGINEERING


def test_a_released_or_closed_defect_no_longer_lets_the_ticket_await_engineering(ticket, agent, engineer):
    defect = escalate(ticket, agent)
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.RELEASED)
    ticket = set_status(Ticket.objects.get(pk=ticket.pk), T.OPEN, agent)
    with pytest.raises(ValidationError):
        set_status(ticket, T.AWAITING_ENGINEERING, agent)
    assert (T.AWAITING_ENGINEERING, "Awaiting engineering") not in ticket_status_choices(ticket)


def test_an_open_request_lets_the_ticket_await_product_management(ticket, agent, product_manager):
    request = request_from(ticket, agent)
    ticket = set_status(Ticket.objects.get(pk=ticket.pk), T.AWAITING_CUSTOMER, agent)
    assert set_status(ticket, T.AWAITING_PRODUCT, agent).status == T.AWAITING_PRODUCT
    EnhancementRequest.objects.filter(pk=request.pk).update(status=EnhancementRequest.Status.DECLINED)
    ticket = set_status(ticket, T.OPEN, agent)
    assert T.AWAITING_PRODUCT not in dict(ticket_status_choices(ticket))


def test_the_status_form_offers_only_the_statuses_that_fit(client, agent, ticket):
    client.force_login(agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    form = html[html.index('id="ticket-status-form"'):]
    form = form[: form.index("</form>")]
    assert '<option value="awaiting_customer">' in form and '<option value="closed">' in form
    assert 'value="awaiting_engineering"' not in form and 'value="awaiting_product"' not in form


def test_the_page_refuses_a_status_that_does_not_fit_beside_the_field(client, agent, ticket):
    client.force_login(agent)
    response = client.post(reverse("tickets:status", args=[ticket.pk]), {"status": "awaiting_engineering"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be “Awaiting engineering”" in html and f"It can be: {NO_LINK}." in html
    assert Ticket.objects.get(pk=ticket.pk).status == T.NEW


def test_the_api_answers_400_naming_the_statuses_that_fit(api, agent, ticket):
    response = api(agent).post(f"/api/tickets/{ticket.pk}/status/", {"status": "awaiting_engineering"}, format="json")
    assert response.status_code == 400
    (message,) = response.json()["status"]
    assert message.endswith(f"It can be: {NO_LINK}.") and "awaiting_engineering" not in message
    assert Ticket.objects.get(pk=ticket.pk).status == T.NEW


def offered_on_page(client, ticket) -> list[str]:
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    form = html[html.index('id="ticket-status-form"'):]
    form = form[: form.index("</form>")]
    return [value for value, _ in T.choices if f'<option value="{value}"' in form]


def test_the_page_offers_what_the_rule_allows_from_the_links_it_read(client, agent, engineer, ticket):
    client.force_login(agent)
    states = []
    defect = escalate(ticket, agent)  # open defect: awaiting engineering fits
    states.append(Ticket.objects.get(pk=ticket.pk))
    request = request_from(Ticket.objects.get(pk=ticket.pk), agent)  # open request: awaiting product fits
    states.append(set_status(Ticket.objects.get(pk=ticket.pk), T.OPEN, agent))
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.RELEASED)
    EnhancementRequest.objects.filter(pk=request.pk).update(status=EnhancementRequest.Status.DECLINED)
    states.append(Ticket.objects.get(pk=ticket.pk))  # neither fits now, unless it is the current status

    for state in states:
        Ticket.objects.filter(pk=ticket.pk).update(status=state.status)
        current = Ticket.objects.get(pk=ticket.pk)
        assert offered_on_page(client, current) == [value for value, _ in ticket_status_choices(current)]
    assert T.AWAITING_PRODUCT not in offered_on_page(client, Ticket.objects.get(pk=ticket.pk))


def test_the_ticket_page_asks_no_query_of_its_own_for_the_statuses_it_offers(client, agent, ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    escalate(ticket, agent)
    request_from(Ticket.objects.get(pk=ticket.pk), agent)
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("tickets:detail", args=[ticket.pk]))
    # The rule's own lookups (tickets.services.status) are "does such a link exist" queries.
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT 1 AS")]
