"""The "top requests" report of a product: one computation for the page, the CSV and the chart."""

import csv
import io
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncMonth

from core.charts import cached_until_change
from core.csvcells import csv_cell
from enhancements.models import EnhancementRequest, TicketRequestLink
from enhancements.selectors import demand_reasons, request_queue

TOP = 25
HEADER = ["Request", "Title", "Status", "Demand", "Customers", "Tickets", "Last asked", "Who asks"]


@dataclass
class TopRequests:
    product: object
    rows: list  # (request, Demand or None)
    chart: dict  # {"demand_over_time": {"labels": [...], "datasets": [...]}}


def top_requests(*, product, limit: int = TOP, asks: int | None = None) -> TopRequests:
    """The product's open and planned requests by demand, who asks, and new asks per month
    (four queries; the monthly figures are kept until the next change).

    `asks`: how many customers to name per request, the weightiest first (None: every one, as the CSV does).
    """
    requests = list(
        request_queue(product=product).filter(status__in=EnhancementRequest.OPEN_STATUSES)[:limit]
    )
    reasons = demand_reasons(requests, limit=asks)
    chart = {"demand_over_time": cached_until_change(
        f"request-demand:{product.pk}", lambda: demand_over_time(product=product)
    )}
    return TopRequests(product=product, rows=[(r, reasons.get(r.pk)) for r in requests], chart=chart)


def demand_over_time(*, product) -> dict:
    """Tickets and customers asking for the product's requests, per month (one aggregate over its links)."""
    months = (
        TicketRequestLink.objects.filter(request__product=product)
        .annotate(month=TruncMonth("linked_at")).values("month")
        .annotate(asks=Count("id"), customers=Count("customer", distinct=True)).order_by("month")
    )
    labels, asks, customers = [], [], []
    for row in months:
        labels.append(row["month"].strftime("%Y-%m"))
        asks.append(row["asks"])
        customers.append(row["customers"])
    return {"labels": labels, "datasets": [
        {"label": "Tickets asking", "data": asks}, {"label": "Customers asking", "data": customers},
    ]}


def top_requests_csv(report: TopRequests) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for request, why in report.rows:
        asks = why.customers if why else []
        who = "; ".join(f"{ask.name} ({ask.tier_label}, {ask.importance_label})" for ask in asks)
        writer.writerow([csv_cell(v) for v in (
            request.key, request.title, request.help_desk_note, request.demand, request.customer_count,
            request.ticket_count, request.last_asked_at.date().isoformat() if request.last_asked_at else "", who,
        )])
    return out.getvalue()
