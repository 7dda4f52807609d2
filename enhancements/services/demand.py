"""How much a request is wanted: counts and a demand score kept on the request."""

from django.db.models import Count, Max

from enhancements.models import EnhancementRequest, TicketRequestLink

IMPORTANCE_WEIGHT = {
    TicketRequestLink.Importance.BLOCKS_DEAL: 5,
    TicketRequestLink.Importance.IMPORTANT: 3,
    TicketRequestLink.Importance.NICE_TO_HAVE: 1,
}
TIER_WEIGHT = {"strategic": 3, "standard": 2, "trial": 1}


def demand_of(rows) -> int:
    """Sum over customers of (their highest importance) x (their tier's weight).

    `rows` are (customer id, tier, importance) triples, one per ticket link: a
    customer asking twice counts once, at the most it said the request matters.
    """
    best: dict[int, int] = {}
    for customer_id, tier, importance in rows:
        score = IMPORTANCE_WEIGHT.get(importance, 1) * TIER_WEIGHT.get(tier, 2)
        best[customer_id] = max(best.get(customer_id, 0), score)
    return sum(best.values())


def request_refresh_demand(*, request: EnhancementRequest) -> EnhancementRequest:
    """Recount the request's customers and tickets and its demand score from its links (two queries)."""
    links = TicketRequestLink.objects.filter(request=request)
    counts = links.aggregate(
        customers=Count("customer", distinct=True), tickets=Count("ticket", distinct=True), last=Max("linked_at")
    )
    request.customer_count = counts["customers"]
    request.ticket_count = counts["tickets"]
    request.last_asked_at = counts["last"]
    request.demand = demand_of(links.values_list("customer_id", "customer__tier", "importance"))
    request.save(update_fields=["customer_count", "ticket_count", "last_asked_at", "demand", "updated_at"])
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
