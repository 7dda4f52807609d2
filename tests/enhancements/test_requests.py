"""Sending requests from tickets, routing, roll-up and demand."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry, Channel
from defects.models import RoutingRule, Team
from defects.services.routing import route_team
from enhancements.models import EnhancementRequest, RequestDemand, TicketRequestLink
from enhancements.selectors import demand_reasons, similar_requests
from enhancements.services.demand import request_refresh_demand
from enhancements.services.requests import AlreadyRequested, request_link_ticket
from enhancements.services.transitions import request_transition
from tests.factories import escalate, request_from
from tickets.models import Customer


@pytest.fixture
def product_team(db, product_manager):
    team = Team.objects.create(name="Billing product", kind=Team.Kind.PRODUCT)
    team.members.add(product_manager)
    return team


def test_a_request_gets_an_enh_key_and_links_its_ticket(ticket, agent):
    request = request_from(ticket, agent)
    assert request.key == f"ENH-{request.pk}"
    assert EnhancementRequest.objects.get(pk=request.pk).key == request.key
    link = TicketRequestLink.objects.get(request=request)
    assert (link.ticket, link.customer, link.importance) == (ticket, ticket.customer, "important")
    assert (request.customer_count, request.ticket_count) == (1, 1)
    assert AuditEntry.objects.filter(object_id=request.pk, action="created").exists()


def test_request_rules_route_to_product_teams_and_defect_rules_do_not(ticket, agent, product, product_team, team):
    RoutingRule.objects.create(priority=5, product=product, team=team)  # a defect rule
    RoutingRule.objects.create(priority=9, product=product, team=product_team, kind=RoutingRule.Kind.REQUEST)
    assert request_from(ticket, agent).team == product_team


def test_a_defect_rule_ignores_request_rules(product, product_team, team):
    RoutingRule.objects.create(priority=1, product=product, team=product_team, kind=RoutingRule.Kind.REQUEST)
    assert route_team(product=product, component=None, title="x") == team


def test_bad_input_names_each_field_and_writes_nothing(ticket, agent):
    with pytest.raises(ValidationError) as caught:
        request_from(ticket, agent, title=" ", problem="", importance="urgent")
    assert set(caught.value.message_dict) == {"title", "problem", "importance"}
    assert not EnhancementRequest.objects.exists()


def test_a_ticket_asks_for_one_open_request_at_a_time(ticket, agent):
    first = request_from(ticket, agent)
    with pytest.raises(AlreadyRequested) as caught:
        request_from(ticket, agent)
    assert caught.value.request == first


def test_tickets_of_many_customers_roll_up_with_demand(make_ticket, agent, other_customer):
    request = request_from(make_ticket(), agent, importance="nice_to_have")
    strategic = Customer.objects.create(name="Initech", tier=Customer.Tier.STRATEGIC)
    request_link_ticket(
        ticket=make_ticket(customer=strategic), request=request, importance="blocks_deal", actor=agent,
        channel=Channel.API,
    )
    request_link_ticket(
        ticket=make_ticket(customer=other_customer), request=request, importance="important", actor=agent,
        channel=Channel.API,
    )
    request.refresh_from_db()
    assert (request.customer_count, request.ticket_count) == (3, 3)
    # nice (1) x standard (2) + blocks (5) x strategic (3) + important (3) x standard (2)
    assert request.demand == 2 + 15 + 6
    why = demand_reasons([request])[request.pk]
    assert {ask.name: ask.importance for ask in why.customers} == {
        "Acme Corp": "nice_to_have", "Initech": "blocks_deal", "Globex": "important",
    }


def test_a_second_ticket_of_one_customer_counts_once_at_its_highest(make_ticket, agent):
    request = request_from(make_ticket(), agent, importance="nice_to_have")
    request_link_ticket(ticket=make_ticket(), request=request, importance="blocks_deal", actor=agent, channel="web")
    request.refresh_from_db()
    assert (request.customer_count, request.ticket_count, request.demand) == (1, 2, 10)


def test_the_queue_reads_each_requests_weightiest_customers_from_rows_kept_as_links_change(make_ticket, agent):
    request = request_from(make_ticket(), agent, importance="nice_to_have")  # Acme Corp, standard: 2
    asks = [("Zeta", "strategic", "important"), ("Beta", "trial", "blocks_deal"), ("Alpha", "trial", "blocks_deal")]
    for name, tier, importance in asks:
        customer = Customer.objects.create(name=name, tier=tier)
        for _ in range(2):
            request_link_ticket(ticket=make_ticket(customer=customer), request=request, importance=importance,
                                actor=agent, channel=Channel.API)
    request.refresh_from_db()
    assert request.importance_counts == {"nice_to_have": 1, "important": 1, "blocks_deal": 2}
    # Zeta 3 x 3 = 9, then Alpha and Beta 5 x 1 = 5 (by name), then Acme 1 x 2 = 2.
    assert list(RequestDemand.objects.filter(request=request).values_list("customer__name", "position", "tickets")) \
        == [("Zeta", 1, 2), ("Alpha", 2, 2), ("Beta", 3, 2), ("Acme Corp", 4, 1)]
    why = demand_reasons([request], limit=2)[request.pk]
    assert [ask.name for ask in why.customers] == ["Zeta", "Alpha"]
    assert (why.customer_total, why.more, why.by_importance["blocks_deal"]) == (4, 2, 2)
    # A new tier re-ranks: Beta, strategic now, weighs 5 x 3 = 15.
    Customer.objects.filter(name="Beta").update(tier="strategic")
    request_refresh_demand(request=request)
    assert [ask.name for ask in demand_reasons([request], limit=1)[request.pk].customers] == ["Beta"]


def test_only_open_requests_of_the_same_product_take_tickets(make_ticket, agent, product_manager):
    request = request_from(make_ticket(), agent)
    request_transition(request=request, to="declined", reason="Not our direction", actor=product_manager, channel="web")
    with pytest.raises(ValidationError) as caught:
        request_link_ticket(ticket=make_ticket(), request=request, importance="important", actor=agent, channel="web")
    assert "request" in caught.value.message_dict


def test_similar_open_requests_share_words(make_ticket, agent):
    request = request_from(make_ticket(), agent, title="VAT per line in the export")
    request_from(make_ticket(), agent, title="Dark mode", problem="Eyes hurt at night.")
    assert similar_requests(text="export with VAT", product=request.product_id) == [request]


def test_sending_a_request_makes_the_ticket_await_product_management(make_ticket, agent, product_manager, release):
    ticket = make_ticket()
    request = request_from(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_product"
    for to in ("under_review", "planned", "in_development"):
        request_transition(request=request, to=to, target_release=release, actor=product_manager, channel="web")
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_product"
    request_transition(request=request, to="delivered", release=release, actor=product_manager, channel="web")
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_ticket_waiting_on_engineering_keeps_waiting_there(make_ticket, agent):
    ticket = make_ticket()
    escalate(ticket, agent)
    request_from(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_engineering"
