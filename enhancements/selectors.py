"""Reads of enhancement requests: similar open ones, the queue with its reasons, a ticket's request."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from defects.selectors import search_terms
from enhancements.models import Conversion, EnhancementRequest, RequestComment, TicketRequestLink
from enhancements.services.demand import IMPORTANCE_WEIGHT

QUEUE_ORDER = ("-demand", "-last_asked_at", "id")


def request_list_queryset() -> QuerySet[EnhancementRequest]:
    return EnhancementRequest.objects.select_related(
        "product", "component", "team", "target_release", "delivered_release", "duplicate_of"
    )


def filter_requests(qs: QuerySet[EnhancementRequest], *, product=None, component=None, status=None):
    if product:
        qs = qs.filter(product=product)
    if component:
        qs = qs.filter(component=component)
    if status:
        qs = qs.filter(status=status)
    return qs


def similar_requests(*, text: str, product=None, limit: int = 10) -> list[EnhancementRequest]:
    """Open requests whose title or problem share words with `text`; the given product's first.

    Ranked by the number of matching words (as defects' similar search does off
    PostgreSQL), then demand.
    """
    terms = search_terms(text)
    if not terms:
        return []
    hits = Q()
    score = Value(0, output_field=IntegerField())
    for term in terms:
        hit = Q(title__icontains=term) | Q(problem__icontains=term)
        hits |= hit
        score = score + Case(When(hit, then=Value(1)), default=Value(0), output_field=IntegerField())
    qs = EnhancementRequest.objects.filter(hits, status__in=EnhancementRequest.OPEN_STATUSES).annotate(rank=score)
    product_id = getattr(product, "pk", product)
    order = ["-rank", "-demand", "pk"]
    if product_id:
        qs = qs.annotate(
            same=Case(When(product_id=product_id, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        order = ["same", *order]
    ids = list(qs.order_by(*order).values_list("pk", flat=True)[:limit])
    found = request_list_queryset().in_bulk(ids)
    return [found[pk] for pk in ids]


@dataclass
class CustomerAsk:
    name: str
    tier: str
    importance: str
    tickets: int = 0


@dataclass
class Demand:
    """Why a request ranks where it does."""

    customers: list[CustomerAsk] = field(default_factory=list)

    @property
    def by_importance(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for ask in self.customers:
            counts[ask.importance] += 1
        return dict(counts)


def demand_reasons(request_ids) -> dict[int, Demand]:
    """Request id -> each customer's tier, highest importance and ticket count (one query for a page)."""
    rows = (
        TicketRequestLink.objects.filter(request_id__in=list(request_ids))
        .order_by("request_id", "customer__name", "id")
        .values_list("request_id", "customer_id", "customer__name", "customer__tier", "importance")
    )
    reasons: dict[int, Demand] = defaultdict(Demand)
    seen: dict[tuple[int, int], CustomerAsk] = {}
    for request_id, customer_id, name, tier, importance in rows:
        ask = seen.get((request_id, customer_id))
        if ask is None:
            ask = seen[(request_id, customer_id)] = CustomerAsk(name=name, tier=tier, importance=importance)
            reasons[request_id].customers.append(ask)
        elif IMPORTANCE_WEIGHT[importance] > IMPORTANCE_WEIGHT[ask.importance]:
            ask.importance = importance
        ask.tickets += 1
    return dict(reasons)


def request_queue(*, product=None, component=None, status=None) -> QuerySet[EnhancementRequest]:
    """The product-management queue, most wanted first (stored demand, then the latest ask)."""
    qs = filter_requests(request_list_queryset(), product=product, component=component, status=status)
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
    return TicketRequestLink.objects.filter(request=request).select_related("ticket", "customer").order_by("linked_at")


def _release_model():
    # Reached through the foreign key: releases sits above this app.
    return EnhancementRequest._meta.get_field("target_release").related_model


def coming_releases(product_id) -> list:
    """Releases of the product not shipped yet (what a plan may target)."""
    coming = _release_model().objects.filter(product_id=product_id, released_at__isnull=True)
    return list(coming.order_by("version_key"))


def product_releases(product_id) -> list:
    return list(_release_model().objects.filter(product_id=product_id).order_by("version_key"))


def queue_filters():
    """The products and components the queue filters by (two queries)."""
    product_model = EnhancementRequest._meta.get_field("product").related_model
    component_model = EnhancementRequest._meta.get_field("component").related_model
    return list(product_model.objects.order_by("name")), list(component_model.objects.select_related("product"))
