import pytest

from defects.models import Defect, RoutingRule, Team
from defects.services.routing import defect_route, route_team
from tickets.models import Component, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(db):
    return {name: Team.objects.create(name=name) for name in ("Payments", "Documents", "Core")}


def rule(product, team, *, priority=100, component=None, keyword="", active=True):
    return RoutingRule.objects.create(
        product=product, team=team, priority=priority, component=component, keyword=keyword,
        active=active,
    )


def test_rules_are_tried_in_priority_order_not_creation_order(product, teams):
    rule(product, teams["Core"], priority=50)
    rule(product, teams["Payments"], priority=10)
    assert route_team(product=product, component=None, title="Anything") == teams["Payments"]


def test_equal_priorities_go_to_the_older_rule(product, teams):
    rule(product, teams["Documents"], priority=10)
    rule(product, teams["Core"], priority=10)
    assert route_team(product=product, component=None, title="Anything") == teams["Documents"]


def test_a_component_rule_matches_only_its_component(product, component, teams):
    other = Component.objects.create(product=product, name="Payments")
    rule(product, teams["Documents"], priority=10, component=component)
    assert route_team(product=product, component=component, title="x") == teams["Documents"]
    assert route_team(product=product, component=other, title="x") == product.default_team
    assert route_team(product=product, component=None, title="x") == product.default_team


def test_a_keyword_matches_the_title_in_any_case(product, teams):
    rule(product, teams["Documents"], priority=10, keyword="PDF")
    assert route_team(product=product, component=None, title="Invoice pdf export hangs") == teams["Documents"]
    assert route_team(product=product, component=None, title="Invoice CSV export hangs") == product.default_team


def test_component_and_keyword_must_both_match(product, component, teams):
    rule(product, teams["Documents"], priority=10, component=component, keyword="pdf")
    assert route_team(product=product, component=component, title="PDF broken") == teams["Documents"]
    assert route_team(product=product, component=component, title="CSV broken") == product.default_team


def test_no_matching_rule_falls_back_to_the_product_default_team(product, team, teams):
    rule(product, teams["Payments"], keyword="card")
    assert route_team(product=product, component=None, title="Totals wrong") == team


def test_without_rule_or_default_team_the_defect_is_unrouted(db, teams):
    orphan = Product.objects.create(name="Analytics", code="analytics")
    assert route_team(product=orphan, component=None, title="Anything") is None


def test_an_inactive_rule_is_skipped(product, teams):
    rule(product, teams["Payments"], priority=1, active=False)
    rule(product, teams["Core"], priority=2)
    assert route_team(product=product, component=None, title="x") == teams["Core"]


def test_rules_of_another_product_never_match(product, teams):
    other = Product.objects.create(name="CRM", code="crm")
    rule(other, teams["Payments"], priority=1)
    assert route_team(product=product, component=None, title="x") == product.default_team


def test_routing_a_defect_sets_its_team(product, component, teams):
    rule(product, teams["Documents"], component=component)
    defect = Defect(product=product, component=component, title="Export fails")
    assert defect_route(defect=defect) == teams["Documents"]
    assert defect.team == teams["Documents"]
