"""Seeded defects: statuses that follow age, routed teams, planned and fixed-in releases."""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from defects.models import Defect
from defects.severity import Impact, Urgency, compute_severity
from tickets.services.escalation import defect_key
from tools.scale import texts
from tools.scale.catalog import Catalog, ProductInfo

S = Defect.Status
RECENT_DAYS = 120
# Young defects are mostly still being worked on; old ones mostly shipped or closed.
RECENT_STATUSES = {
    S.NEW: 20, S.TRIAGE: 15, S.IN_PROGRESS: 25, S.NEEDS_INFO: 8, S.IN_VERIFICATION: 10,
    S.FIXED: 10, S.WONT_FIX: 4, S.CANNOT_REPRODUCE: 4, S.DUPLICATE: 4,
}
OLD_STATUSES = {
    S.RELEASED: 55, S.FIXED: 3, S.WONT_FIX: 10, S.CANNOT_REPRODUCE: 8, S.DUPLICATE: 7,
    S.NEW: 3, S.TRIAGE: 3, S.IN_PROGRESS: 6, S.NEEDS_INFO: 2, S.IN_VERIFICATION: 3,
}
# The share of each product in the help desk's work.
PRODUCT_WEIGHTS = [30, 18, 14, 12, 9, 8, 5, 4]


@dataclass
class SeededDefect:
    """A defect row plus what the ticket generator needs to know about it."""

    row: dict
    info: ProductInfo
    status: str


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _releases(rng: random.Random, info: ProductInfo, status: str, created: datetime) -> tuple:
    """(status, planned release id, fixed-in release id) consistent with the release history."""
    if status == S.RELEASED:
        shipped = next((r for r in info.released if r.released_at > created), None)
        if shipped is None:
            status = S.FIXED  # created after the last release: fixed, waiting to ship
        else:
            return status, shipped.pk, shipped.pk
    if status == S.FIXED:
        if not info.planned:
            return S.IN_VERIFICATION, None, None
        target = rng.choice(info.planned)
        return status, target.pk, target.pk
    if status in Defect.OPEN_STATUSES and info.planned and rng.random() < 0.5:
        return status, rng.choice(info.planned).pk, None
    return status, None, None


def product_for(rng: random.Random, catalog: Catalog) -> ProductInfo:
    weights = PRODUCT_WEIGHTS[: len(catalog.products)]
    return rng.choices(catalog.products, weights=weights)[0]


def generate_defects(
    rng: random.Random, catalog: Catalog, ids: list[int], *, now: datetime, span: timedelta
) -> list[SeededDefect]:
    """One defect per reserved id, oldest first, keys DEF-<id>."""
    start = now - span
    created_times = sorted(start + (now - start) * rng.random() for _ in ids)
    defects: list[SeededDefect] = []
    by_product: dict[int, list[int]] = {}
    for pk, created in zip(ids, created_times, strict=True):
        info = product_for(rng, catalog)
        component = rng.choice(info.components) if info.components and rng.random() < 0.9 else None
        recent = now - created < timedelta(days=RECENT_DAYS)
        status = _pick(rng, RECENT_STATUSES if recent else OLD_STATUSES)
        earlier = by_product.get(info.product.pk, [])
        if status == S.DUPLICATE and not earlier:
            status = S.TRIAGE
        status, planned_id, fixed_id = _releases(rng, info, status, created)
        team = info.team_of_component.get(component.pk) if component else None
        team_id = (team.pk if team else info.product.default_team_id) if rng.random() > 0.02 else None
        impact = rng.choice([Impact.SINGLE_USER, Impact.MULTIPLE_USERS, Impact.ENTIRE_CUSTOMER])
        urgency = rng.choice(Urgency.values)
        headline = texts.title(rng)
        row = {
            "id": pk, "key": defect_key(pk), "kind": Defect.Kind.DEFECT, "title": headline,
            "description": texts.description(rng, headline),
            "steps_to_reproduce": f"1. Open the {rng.choice(texts.OBJECTS)}\n2. Save\n3. Watch it fail",
            "expected_result": "It works.", "actual_result": headline,
            "product_id": info.product.pk, "component_id": component.pk if component else None,
            "environment": rng.choice(texts.ENVIRONMENTS), "impact": str(impact), "urgency": urgency,
            "severity": compute_severity(impact, urgency), "severity_reason": "", "status": str(status),
            "team_id": team_id, "planned_release_id": planned_id, "fixed_in_release_id": fixed_id,
            "duplicate_of_id": rng.choice(earlier[-200:]) if status == S.DUPLICATE else None,
            "customer_count": 0, "ticket_count": 0,
            "created_by_id": rng.choice(catalog.agents).pk, "created_at": created,
            "updated_at": min(now, created + timedelta(days=rng.uniform(0, 60))),
        }
        if status != S.DUPLICATE:
            by_product.setdefault(info.product.pk, []).append(pk)
        defects.append(SeededDefect(row, info, str(status)))
    return defects


def affected_version_rows(rng: random.Random, defects: list[SeededDefect]) -> list[dict]:
    """Rows of Defect.affected_versions.through: one version each defect was seen on."""
    return [
        {"defect_id": defect.row["id"], "productversion_id": rng.choice(defect.info.versions).pk}
        for defect in defects
        if defect.info.versions
    ]


def busiest_team(defects: list[SeededDefect]) -> int | None:
    """The id of the team routed the most of `defects` (the lower id of a tie), or None when none is routed."""
    counts = Counter(d.row["team_id"] for d in defects if d.row["team_id"] is not None)
    return min(counts, key=lambda team_id: (-counts[team_id], team_id)) if counts else None
