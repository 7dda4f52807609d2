"""Enhancement requests for the scale data: one per ten tickets, three ticket links each on average."""

import random
from datetime import timedelta

from enhancements.models import EnhancementRequest
from enhancements.services.demand import demand_of
from tools.scale.catalog import Catalog

STATUS_WEIGHTS = [
    (EnhancementRequest.Status.NEW, 40), (EnhancementRequest.Status.UNDER_REVIEW, 25),
    (EnhancementRequest.Status.PLANNED, 10), (EnhancementRequest.Status.IN_DEVELOPMENT, 5),
    (EnhancementRequest.Status.DELIVERED, 8), (EnhancementRequest.Status.DECLINED, 12),
]
OPEN = {s.value for s in EnhancementRequest.OPEN_STATUSES}
# The help-desk statuses a ticket leaves for "awaiting product management" when it asks for a request.
WAITING_FROM = {"new", "open"}
IMPORTANCES = ["blocks_deal", "important", "important", "nice_to_have", "nice_to_have", "nice_to_have"]
WISHES = ["Export", "Bulk edit", "Dark mode", "Single sign-on", "Audit log", "Webhooks", "Custom fields", "API"]


def generate_requests(
    rng: random.Random, catalog: Catalog, ids: list[int], tickets: list[dict], links: int,
    *, tier_of: dict[int, str],
) -> tuple[list[dict], list[dict]]:
    """Request rows and `links` ticket-link rows (each ticket at most once), counts and demand filled in.

    A new or open ticket that asks for an open request now awaits product
    management: its row in `tickets` is changed, so call this before writing them.
    """
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    by_product: dict[int, list[dict]] = {}
    for row in tickets:
        by_product.setdefault(row["product_id"], []).append(row)
    products = [info for info in catalog.products if by_product.get(info.product.pk)]
    requests, link_rows = [], []
    pool = rng.sample(tickets, min(links, len(tickets)))
    for n, pk in enumerate(ids):
        info = products[n % len(products)]
        status = rng.choice(statuses)
        component = rng.choice(info.components) if info.components else None
        target = rng.choice(info.planned).pk if info.planned and status in ("planned", "in_development") else None
        delivered = rng.choice(info.released).pk if info.released and status == "delivered" else None
        if status in ("planned", "in_development") and target is None:
            status = "under_review"
        if status == "delivered" and delivered is None:
            status = "new"
        requests.append({
            "id": pk, "key": f"ENH-{pk}", "title": f"{rng.choice(WISHES)} for {component.name if component else 'all'}",
            "problem": "Customers ask for it.", "workaround": "", "product_id": info.product.pk,
            "component_id": component.pk if component else None, "status": status, "team_id": None,
            "target_release_id": target, "delivered_release_id": delivered,
            "decline_reason": "Not on the roadmap." if status == "declined" else "", "duplicate_of_id": None,
            "customer_count": 0, "ticket_count": 0, "demand": 0, "importance_counts": {}, "last_asked_at": None,
            "status_changed_at": None, "created_by_id": None,
        })
    by_id = {row["id"]: row for row in requests}
    of_product: dict[int, list[int]] = {}
    for row in requests:
        of_product.setdefault(row["product_id"], []).append(row["id"])
    asks: dict[int, list[tuple]] = {}
    for ticket in pool:
        choices = of_product.get(ticket["product_id"])
        if not choices:
            continue
        # A few requests draw most of the asks, as in life.
        request_id = choices[min(len(choices) - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.3 \
            else rng.choice(choices)
        importance = rng.choice(IMPORTANCES)
        linked_at = ticket["created_at"] + timedelta(hours=rng.randint(1, 72))
        link_rows.append({
            "ticket_id": ticket["id"], "request_id": request_id, "customer_id": ticket["customer_id"],
            "importance": importance, "linked_by_id": ticket.get("created_by_id"), "linked_at": linked_at,
        })
        asks.setdefault(request_id, []).append((ticket["customer_id"], ticket["id"], importance, linked_at))
        if ticket["status"] in WAITING_FROM and by_id[request_id]["status"] in OPEN:
            # Sent to product management and not answered yet (enhancements.services.tickets).
            ticket["status"] = "awaiting_product"
    for request_id, rows in asks.items():
        row = by_id[request_id]
        row["customer_count"] = len({c for c, _, _, _ in rows})
        row["ticket_count"] = len(rows)
        said = ((c, tier_of.get(c, "standard"), imp) for c, _, imp, _ in rows)
        row["demand"], row["importance_counts"] = demand_of(said)
        row["last_asked_at"] = max(at for _, _, _, at in rows)
        row["created_at"] = min(at for _, _, _, at in rows)
    for row in requests:
        # A request nobody asks for any more (its tickets moved on) dates from the first ticket.
        row.setdefault("created_at", tickets[0]["created_at"])
        row["updated_at"] = row["last_asked_at"] or row["created_at"]
    return requests, link_rows
