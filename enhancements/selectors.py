"""Reads of enhancement requests: similar open ones, the queue with its reasons, a ticket's request."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from core.textsearch import ranked_like
from defects.selectors import ranked_ids_product_first, search_terms
from enhancements.models import Conversion, EnhancementRequest, RequestComment, RequestDemand, TicketRequestLink

QUEUE_ORDER = ("-demand", "-last_asked_at", "id")


def request_list_queryset() -> QuerySet[EnhancementRequest]:
    return EnhancementRequest.objects.select_related(
        "product", "component", "team", "target_release", "delivered_release", "duplicate_of"
    )


def request_rows_queryset() -> QuerySet[EnhancementRequest]:
    """What a list row shows: product and component joined, the rest of its relations read apart.

    Joining all six relations made PostgreSQL spend 6-10 ms planning each page
    (the rows themselves take well under one); four small reads by id cost less.
    """
    return EnhancementRequest.objects.select_related("product", "component").prefetch_related(
        "team", "target_release", "delivered_release", "duplicate_of"
    )


def filter_requests(qs: QuerySet[EnhancementRequest], *, product=None, component=None, status=None, team=None):
    if team:
        qs = qs.filter(team_id=team)
    if product:
        qs = qs.filter(product=product)
    if component:
        qs = qs.filter(component=component)
    if status:
        qs = qs.filter(status=status)
    return qs


def similar_requests(*, text: str, product=None, limit: int = 10) -> list[EnhancementRequest]:
    """Open requests whose title or problem share words with `text`; the given product's first.

    As defects' similar search: PostgreSQL ranks with full-text search on the
    stored search_vector and its GIN index (migration enhancements 0004);
    elsewhere the number of matching words ranks. Then demand.
    """
    terms = search_terms(text)
    if not terms:
        return []
    # Ranked as bare ids (no joins carried through the sort of every match), then the
    # few winners read with their relations.
    # search_vector and its GIN index: migration enhancements 0004 (core/textsearch.py).
    ranked = ranked_like(
        EnhancementRequest.objects.filter(status__in=EnhancementRequest.OPEN_STATUSES), terms,
        fields=("title", "problem"),
    )
    ranked = ranked.order_by("-rank", "-demand", "pk").values_list("pk", flat=True)
    ids = ranked_ids_product_first(ranked, product=product, limit=limit)
    found = request_rows_queryset().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@dataclass
class CustomerAsk:
    name: str
    tier: str
    importance: str
    tickets: int = 0

    @property
    def importance_label(self) -> str:
        return TicketRequestLink.Importance(self.importance).label

    @property
    def tier_label(self) -> str:
        tiers = TicketRequestLink._meta.get_field("customer").related_model.Tier
        return tiers(self.tier).label if self.tier in tiers.values else self.tier


@dataclass
class Demand:
    """Why a request ranks where it does: its customers, the weightiest first.

    `customers` holds the first `limit` customers demand_reasons was asked for
    (every one without a limit); the counts cover them all.
    """

    customers: list[CustomerAsk] = field(default_factory=list)
    customer_total: int = 0
    # How many customers asked at each importance (a customer counts at its highest).
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def by_importance(self) -> dict[str, int]:
        return dict(self.counts)

    @property
    def more(self) -> int:
        return self.customer_total - len(self.customers)


# The queue and the report show this many customers per request; the CSV every one.
SHOWN_ASKS = 5


def demand_reasons(requests, *, limit: int | None = None) -> dict[int, Demand]:
    """Request id -> its customers with tier, highest importance and ticket count (two queries for a page).

    Reads the per-customer rows the demand service keeps (RequestDemand), ranked
    within each request; with `limit`, only the first that many customers per
    request. The counts per importance come from the request itself, so pass
    requests, not ids.
    """
    requests = list(requests)
    if not requests:
        return {}
    rows = RequestDemand.objects.filter(request__in=[r.pk for r in requests]).order_by("request_id", "position")
    if limit is not None:
        rows = rows.filter(position__lte=limit)
    reasons: dict[int, Demand] = {
        r.pk: Demand(counts=dict(r.importance_counts), customer_total=sum(r.importance_counts.values()))
        for r in requests
    }
    rows = list(rows.values_list("request_id", "customer_id", "importance", "tickets"))
    # The names apart, by id: joined, the planner hashed every customer for a page's few.
    customer_model = RequestDemand._meta.get_field("customer").related_model
    customers = {
        pk: (name, tier) for pk, name, tier in
        customer_model.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "name", "tier")
    } if rows else {}
    for request_id, customer_id, importance, tickets in rows:
        name, tier = customers[customer_id]
        reasons[request_id].customers.append(CustomerAsk(name=name, tier=tier, importance=importance, tickets=tickets))
    return reasons


def request_queue(*, product=None, component=None, status=None, team=None) -> QuerySet[EnhancementRequest]:
    """The product-management queue, most wanted first (stored demand, then the latest ask)."""
    qs = filter_requests(request_rows_queryset(), product=product, component=component, status=status, team=team)
    return qs.order_by(*QUEUE_ORDER)


def ticket_requests(ticket) -> list[TicketRequestLink]:
    """The ticket's request links with their requests and releases, newest first."""
    return list(
        TicketRequestLink.objects.filter(ticket=ticket)
        .select_related("request", "request__target_release", "request__delivered_release", "request__duplicate_of")
        .order_by("-linked_at", "-id")
    )


def converted_defect_id(request: EnhancementRequest) -> int | None:
    """The defect a converted request became (None for any other request); no query unless it is converted."""
    if request.status != EnhancementRequest.Status.CONVERTED:
        return None
    return (
        Conversion.objects.filter(request=request, direction=Conversion.Direction.TO_DEFECT)
        .values_list("defect_id", flat=True).first()
    )


def request_conversions(request: EnhancementRequest) -> list[Conversion]:
    """The conversions the request took part in (from a defect, or into one), with the defect's key."""
    return list(Conversion.objects.filter(request=request).select_related("defect"))


def request_attachments(request: EnhancementRequest) -> list:
    return list(request.attachments.all())


def request_comments(request: EnhancementRequest) -> QuerySet[RequestComment]:
    return RequestComment.objects.filter(request=request).select_related("author")


def request_ticket_links(request: EnhancementRequest) -> QuerySet[TicketRequestLink]:
    """The request's ticket links, newest first, with what a row shows (page it: a wanted request has thousands)."""
    return (
        TicketRequestLink.objects.filter(request=request).select_related("ticket", "customer")
        .only("ticket__number", "customer__name", "customer__tier", "importance", "linked_at", "request_id")
        .order_by("-linked_at", "-id")
    )


def _release_model():
    # Reached through the foreign key: releases sits above this app.
    return EnhancementRequest._meta.get_field("target_release").related_model


def product_releases(product_id) -> list:
    return list(_release_model().objects.filter(product_id=product_id).order_by("version_key"))


def queue_filters():
    """The products and components the queue filters by (two queries)."""
    product_model = EnhancementRequest._meta.get_field("product").related_model
    component_model = EnhancementRequest._meta.get_field("component").related_model
    return list(product_model.objects.order_by("name")), list(component_model.objects.select_related("product"))
