"""The ticket list's rows in the API, written from plain values.

GET /api/tickets/ answers with TicketSerializer's shape (the schema documents it, and
tests/tickets/test_api_ticket_rows.py checks both give the same JSON), but a page's rows
are read as values and written here: built as model instances, with their links, defects,
releases and tracker issues, and then walked field by field by the serializers, a page of
50 cost twice as much as this.
"""

from rest_framework.request import Request

from core.api import moment_data, url_maker
from core.safe_urls import external_link
from defects.models import TicketDefectLink
from releases.api.serializers import RELEASE_BRIEF_FIELDS, release_brief_data
from sync.models import ExternalIssue
from tickets.api.serializers import newest_request_data
from tickets.models import Ticket

# What a row reads of the ticket itself (LargeTablePaginator's row_fields).
ROW_FIELDS = (
    "pk", "number", "subject", "status", "customer_id", "customer__name", "product_id", "product__name",
    "assignee_id", "planned_fix_slipped", "created_at", "updated_at",
)
_LINK_FIELDS = (
    "ticket_id", "defect_id", "defect__key", "defect__status",
    *(f"defect__planned_release__{name}" for name in RELEASE_BRIEF_FIELDS),
    *(f"defect__fixed_in_release__{name}" for name in RELEASE_BRIEF_FIELDS),
)


def _defects(ticket_ids: list[int], request: Request, format: str | None) -> dict[int, list[dict]]:
    """Ticket id -> its linked defects as a row lists them (newest link first), each with its releases
    and its issues in trackers: two queries for a page."""
    links = list(
        TicketDefectLink.objects.filter(ticket_id__any_of=ticket_ids)
        .order_by("-linked_at", "-id")
        .values_list(*_LINK_FIELDS)
    )
    trackers: dict[int, list[dict]] = {}
    twins = (
        ExternalIssue.objects.filter(defect_id__any_of=list({link[1] for link in links}))
        .order_by("connection__name", "id")
        .values_list("defect_id", "key", "url", "connection__name", "connection__kind")
    )
    for defect_id, key, url, tracker, kind in twins if links else ():
        trackers.setdefault(defect_id, []).append(
            {"key": key, "url": external_link(url) or None, "tracker": tracker, "kind": kind}
        )
    defect_url = url_maker("defect-detail", request, format)
    defects: dict[int, list[dict]] = {}
    for ticket_id, defect_id, key, status, *releases in links:
        defects.setdefault(ticket_id, []).append({
            "id": defect_id, "key": key, "status": status, "url": defect_url(defect_id),
            "trackers": trackers.get(defect_id, []),
            "planned_release": releases[:len(RELEASE_BRIEF_FIELDS)],
            "fixed_in_release": releases[len(RELEASE_BRIEF_FIELDS):],
        })
    return defects


def request_links_queryset():
    """Tickets' request links with what a row says of their requests.

    Read through the links' reverse relation (enhancements sits above tickets),
    joined rather than prefetched in three steps, and only the fields a row shows:
    a request's problem and workaround are long and never listed.
    """
    links = Ticket._meta.get_field("request_links").related_model
    return links.objects.select_related(
        "request", "request__target_release", "request__delivered_release", "request__duplicate_of",
    ).only(
        "ticket", "linked_at", "importance", "request", "request__key", "request__status", "request__decline_reason",
        "request__target_release", "request__target_release__version", "request__delivered_release",
        "request__delivered_release__version", "request__duplicate_of", "request__duplicate_of__key",
    )


def _requests(ticket_ids: list[int]) -> dict[int, list]:
    """Ticket id -> its request links with what a row says of their requests (one query)."""
    links = request_links_queryset().filter(ticket_id__any_of=ticket_ids)
    requests: dict[int, list] = {}
    for link in links:
        requests.setdefault(link.ticket_id, []).append(link)
    return requests


def ticket_rows_data(rows: list[dict], request: Request, format: str | None = None) -> list[dict]:
    """A page of ticket rows (dicts of ROW_FIELDS) in TicketSerializer's shape, in three queries."""
    ids = [row["pk"] for row in rows]
    defects = _defects(ids, request, format) if ids else {}
    requests = _requests(ids) if ids else {}
    ticket_url = url_maker("ticket-detail", request, format)
    data = []
    for row in rows:
        pk = row["pk"]
        linked = defects.get(pk, [])
        # Newest link first: the current defect, whose status and releases the row shows.
        current = linked[0] if linked else None
        data.append({
            "id": pk, "number": row["number"], "url": ticket_url(pk), "subject": row["subject"],
            "status": row["status"], "customer": row["customer_id"], "customer_name": row["customer__name"],
            "product": row["product_id"], "product_name": row["product__name"], "assignee": row["assignee_id"],
            "escalated": current is not None,
            "engineering_status": current["status"] if current else None,
            "planned_release": release_brief_data(current["planned_release"]) if current else None,
            "fixed_in_release": release_brief_data(current["fixed_in_release"]) if current else None,
            "planned_fix_slipped": row["planned_fix_slipped"],
            "defects": [
                {name: defect[name] for name in ("id", "key", "status", "url", "trackers")} for defect in linked
            ],
            "enhancement_request": newest_request_data(requests.get(pk, [])),
            "created_at": moment_data(row["created_at"]),
            "updated_at": moment_data(row["updated_at"]),
        })
    return data
