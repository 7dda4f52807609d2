"""Routing: which team owns a new defect."""

from defects.models import Defect, RoutingRule, Team


def route_team(*, product, component, title: str) -> Team | None:
    """First matching active defect rule by priority, else the product's default team, else None.

    None is the Unrouted queue. A rule matches when its product is the defect's,
    its component (if any) is the defect's, and its keyword (if any) appears in
    the title, ignoring case.
    """
    rules = RoutingRule.objects.filter(
        product=product, active=True, kind=RoutingRule.Kind.DEFECT
    ).select_related("team")
    lowered = (title or "").lower()
    for rule in rules.order_by("priority", "id"):
        if rule.component_id and rule.component_id != getattr(component, "pk", None):
            continue
        if rule.keyword and rule.keyword.lower() not in lowered:
            continue
        return rule.team
    return product.default_team


def defect_route(*, defect: Defect) -> Team | None:
    defect.team = route_team(product=defect.product, component=defect.component, title=defect.title)
    return defect.team
