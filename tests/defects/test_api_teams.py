import pytest

from core.audit import audit_history
from core.models import Channel
from defects.models import RoutingRule, Team
from tests.querycount import get_query_count
from tickets.models import Component, Product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["agent", "engineer", "manager"])
def test_every_role_reads_teams_with_their_members(api, request, team, engineer, role):
    [row] = api(request.getfixturevalue(role)).get("/api/teams/").json()["results"]
    assert row == {"id": team.pk, "name": team.name, "members": [{"id": engineer.pk, "username": engineer.username}],
                   "connection": None}


@pytest.mark.parametrize("role", ["agent", "engineer", "manager"])
def test_every_role_reads_routing_rules_in_priority_order(api, request, routing_rule, product, other_team, role):
    later = RoutingRule.objects.create(priority=50, product=product, keyword="pdf", team=other_team)
    rows = api(request.getfixturevalue(role)).get("/api/routing-rules/").json()["results"]
    assert [row["id"] for row in rows] == [routing_rule.pk, later.pk]
    assert rows[0]["component_name"] == "Invoices"
    assert rows[1]["component_name"] is None
    assert rows[1]["team_name"] == other_team.name


@pytest.mark.parametrize("path", ["/api/teams/", "/api/routing-rules/"])
def test_outsiders_are_refused_and_anonymous_users_must_log_in(api, outsider, path):
    assert api(outsider).get(path).status_code == 403
    assert api(None).get(path).status_code in (401, 403)


def test_a_manager_creates_a_team_with_members(api, manager, engineer):
    response = api(manager).post("/api/teams/", {"name": "Mobile", "member_ids": [engineer.pk]}, format="json")
    assert response.status_code == 201, response.content
    team = Team.objects.get(name="Mobile")
    assert list(team.members.all()) == [engineer]
    assert response.json()["members"] == [{"id": engineer.pk, "username": engineer.username}]
    assert audit_history(team).filter(action="created", actor=manager, channel=Channel.API).exists()


def test_changing_members_records_who_was_in_and_who_is_now(api, manager, team, engineer, other_agent):
    response = api(manager).patch(f"/api/teams/{team.pk}/", {"member_ids": [other_agent.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["members"] == [{"id": other_agent.pk, "username": other_agent.username}]
    assert audit_history(team).filter(field="members", old=engineer.username, new=other_agent.username).exists()


def test_an_unknown_member_is_a_400(api, manager):
    response = api(manager).post("/api/teams/", {"name": "Mobile", "member_ids": [999999]}, format="json")
    assert response.status_code == 400
    assert "member_ids" in response.json()
    assert not Team.objects.filter(name="Mobile").exists()


@pytest.mark.parametrize("role", ["agent", "engineer"])
def test_only_managers_change_teams_and_rules(api, request, team, routing_rule, role):
    client = api(request.getfixturevalue(role))
    assert client.post("/api/teams/", {"name": "Mobile"}, format="json").status_code == 403
    assert client.patch(f"/api/routing-rules/{routing_rule.pk}/", {"priority": 1}, format="json").status_code == 403
    assert client.delete(f"/api/teams/{team.pk}/").status_code == 403
    routing_rule.refresh_from_db()
    assert routing_rule.priority == 10


def test_a_manager_adds_a_routing_rule(api, manager, product, component, team):
    response = api(manager).post(
        "/api/routing-rules/",
        {"priority": 5, "product": product.pk, "component": component.pk, "keyword": "pdf", "team": team.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    rule = RoutingRule.objects.get(pk=response.json()["id"])
    assert (rule.component, rule.keyword, rule.active) == (component, "pdf", True)
    assert audit_history(rule).filter(action="created", channel=Channel.API).exists()


def test_a_rule_naming_a_component_of_another_product_is_a_400(api, manager, product, team):
    foreign = Component.objects.create(product=Product.objects.create(name="CRM", code="crm"), name="Leads")
    response = api(manager).post(
        "/api/routing-rules/", {"product": product.pk, "component": foreign.pk, "team": team.pk}, format="json"
    )
    assert response.status_code == 400
    assert "component" in response.json()
    assert not RoutingRule.objects.exists()


def test_moving_a_rule_to_another_product_keeps_its_component_honest(api, manager, routing_rule):
    crm = Product.objects.create(name="CRM", code="crm")
    response = api(manager).patch(f"/api/routing-rules/{routing_rule.pk}/", {"product": crm.pk}, format="json")
    assert response.status_code == 400
    assert "component" in response.json()


@pytest.mark.parametrize("field", ["product", "team"])
def test_a_rule_with_an_unknown_product_or_team_is_a_400(api, manager, product, team, field):
    data = {"product": product.pk, "team": team.pk, field: 999999}
    response = api(manager).post("/api/routing-rules/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_changing_a_rule_records_old_and_new_priority(api, manager, routing_rule):
    api(manager).patch(f"/api/routing-rules/{routing_rule.pk}/", {"priority": 1}, format="json")
    assert audit_history(routing_rule).filter(field="priority", old="10", new="1", actor=manager).exists()


def _teams(start: int, count: int, members) -> None:
    for n in range(start, start + count):
        Team.objects.create(name=f"Team {n:02d}").members.add(*members)


def _rules(start: int, count: int, product, component, team) -> None:
    for n in range(start, start + count):
        RoutingRule.objects.create(priority=n, product=product, component=component, keyword=f"k{n}", team=team)


def test_the_team_list_costs_the_same_queries_for_3_or_25_rows(agent, engineer, manager):
    _teams(0, 3, [engineer, manager])
    few = get_query_count(agent, "/api/teams/", expect_rows=3)
    _teams(3, 22, [engineer, manager])
    assert get_query_count(agent, "/api/teams/", expect_rows=25) == few


def test_the_routing_rule_list_costs_the_same_queries_for_3_or_25_rows(agent, product, component, team):
    _rules(0, 3, product, component, team)
    few = get_query_count(agent, "/api/routing-rules/", expect_rows=3)
    _rules(3, 22, product, component, team)
    assert get_query_count(agent, "/api/routing-rules/", expect_rows=25) == few


def test_rules_say_their_kind_filter_by_it_and_name_a_team_of_that_kind(api, manager, routing_rule, product, team):
    product_team = Team.objects.create(name="Billing product", kind=Team.Kind.PRODUCT)
    ask = RoutingRule.objects.create(kind=RoutingRule.Kind.REQUEST, priority=10, product=product, team=product_team)
    client = api(manager)

    everything = client.get("/api/routing-rules/").json()["results"]
    requests_only = client.get("/api/routing-rules/", {"kind": "request"}).json()["results"]
    wrong = client.post("/api/routing-rules/", {"kind": "defect", "priority": 5, "product": product.pk,
                                                "team": product_team.pk}, format="json")
    right = client.post("/api/routing-rules/", {"kind": "request", "priority": 5, "product": product.pk,
                                                "team": product_team.pk}, format="json")

    assert {(row["id"], row["kind"]) for row in everything} == {(routing_rule.pk, "defect"), (ask.pk, "request")}
    assert [row["id"] for row in requests_only] == [ask.pk]
    assert wrong.status_code == 400 and "engineering team" in wrong.json()["team"][0]
    assert right.status_code == 201 and right.json()["kind"] == "request"
    assert client.patch(f"/api/routing-rules/{routing_rule.pk}/", {"team": product_team.pk},
                        format="json").status_code == 400
