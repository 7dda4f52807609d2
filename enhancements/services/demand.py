"""How much a request is wanted: counts, a demand score and each customer's ask, kept as links change."""

from django.db import connection, transaction
from django.db.models import Count, Max, Sum

from enhancements.models import EnhancementRequest, RequestDemand, TicketRequestLink

IMPORTANCE_WEIGHT = {
    TicketRequestLink.Importance.BLOCKS_DEAL: 5,
    TicketRequestLink.Importance.IMPORTANT: 3,
    TicketRequestLink.Importance.NICE_TO_HAVE: 1,
}
TIER_WEIGHT = {"strategic": 3, "standard": 2, "trial": 1}


def demand_of(rows) -> tuple[int, dict[str, int]]:
    """The demand score and how many customers asked at each importance.

    `rows` are (customer id, tier, importance) triples, one per ticket link: a
    customer asking twice counts once, at the most it said the request matters.
    The score sums (that importance's weight) x (the customer's tier weight).
    """
    best: dict[int, tuple[int, int, str]] = {}
    for customer_id, tier, importance in rows:
        weight = IMPORTANCE_WEIGHT.get(importance, 1)
        if customer_id not in best or weight > best[customer_id][0]:
            best[customer_id] = (weight, TIER_WEIGHT.get(tier, 2), str(importance))
    counts: dict[str, int] = {}
    for _, _, importance in best.values():
        counts[importance] = counts.get(importance, 0) + 1
    return sum(weight * tier for weight, tier, _ in best.values()), counts


def _case(column: str, weights: dict, default) -> str:
    whens = " ".join(f"WHEN {column} = {key!r} THEN {weight!r}" for key, weight in weights.items())
    return f"CASE {whens} ELSE {default!r} END"


def demand_rows_rebuild(*, request_ids=None) -> None:
    """Group the links of these requests (every request when None) into their RequestDemand rows.

    Two statements in the database, whatever the number of links: the rows are
    deleted and written again grouped per customer, each ranked within its request.
    """
    links = TicketRequestLink._meta.db_table
    demand = RequestDemand._meta.db_table
    customers = TicketRequestLink._meta.get_field("customer").related_model._meta.db_table
    only, params = "", []
    if request_ids is not None:
        params = [int(pk) for pk in request_ids]
        if not params:
            return
        only = f"request_id IN ({', '.join(['%s'] * len(params))})"
    weight = _case("l.importance", {str(k): w for k, w in IMPORTANCE_WEIGHT.items()}, 1)
    name_of = _case("per.best", {w: str(k) for k, w in IMPORTANCE_WEIGHT.items()}, "nice_to_have")
    score = f"per.best * {_case('c.tier', TIER_WEIGHT, 2)}"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {demand}" + (f" WHERE {only}" if only else ""), params)
        cursor.execute(
            f"""
            INSERT INTO {demand} (request_id, customer_id, importance, tickets, score, position)
            SELECT per.request_id, per.customer_id, {name_of}, per.tickets, {score},
                ROW_NUMBER() OVER (PARTITION BY per.request_id ORDER BY {score} DESC, LOWER(c.name), c.id)
            FROM (
                SELECT l.request_id, l.customer_id, MAX({weight}) AS best, COUNT(*) AS tickets
                FROM {links} l {f"WHERE l.{only}" if only else ""}
                GROUP BY l.request_id, l.customer_id
            ) per JOIN {customers} c ON c.id = per.customer_id
            """,
            params,
        )


@transaction.atomic
def request_refresh_demand(*, request: EnhancementRequest) -> EnhancementRequest:
    """Regroup the request's links per customer, then recount its customers, tickets and demand from them."""
    # One regrouping per request at a time: two tickets joining it at once would otherwise each
    # delete the rows the other had not committed yet, and write them twice.
    EnhancementRequest.objects.select_for_update().filter(pk=request.pk).exists()
    demand_rows_rebuild(request_ids=[request.pk])
    per_importance = list(
        RequestDemand.objects.filter(request=request).order_by().values("importance")
        .annotate(customers=Count("id"), tickets=Sum("tickets"), score=Sum("score"))
    )
    request.importance_counts = {row["importance"]: row["customers"] for row in per_importance}
    request.customer_count = sum(request.importance_counts.values())
    request.ticket_count = sum(row["tickets"] for row in per_importance)
    request.demand = sum(row["score"] for row in per_importance)
    request.last_asked_at = TicketRequestLink.objects.filter(request=request).aggregate(last=Max("linked_at"))["last"]
    request.save(update_fields=[
        "customer_count", "ticket_count", "last_asked_at", "demand", "importance_counts", "updated_at",
    ])
    return request


def requests_on_customer_tier_changed(*, customer, old: str, new: str, actor, channel: str) -> int:
    """Receiver of tickets.hooks.customer_tier_changed: recount the demand of the customer's open requests.

    Closed requests keep the demand they had when they closed. Returns how many were recounted.
    """
    requests = EnhancementRequest.objects.filter(
        ticket_links__customer=customer, status__in=EnhancementRequest.OPEN_STATUSES
    ).distinct()
    count = 0
    for request in requests:
        request_refresh_demand(request=request)
        count += 1
    return count
