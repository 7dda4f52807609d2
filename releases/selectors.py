"""Reads for the release pages and services."""

from django.db.models import Count, QuerySet
from django.db.models.functions import Lower

from defects.models import Defect, TicketDefectLink
from enhancements.models import EnhancementRequest, TicketRequestLink
from releases.models import Release, ReleaseNotice
from tickets.models import Customer

# A defect fixed in a release: fixed there, or already shipped with it.
FIXED_STATUSES = (Defect.Status.FIXED, Defect.Status.RELEASED)


def release_fix_links(release: Release) -> QuerySet[TicketDefectLink]:
    """The links of the tickets to the defects fixed in `release`."""
    return TicketDefectLink.objects.filter(defect__fixed_in_release=release, defect__status__in=FIXED_STATUSES)


def release_delivered_requests(release: Release) -> QuerySet[EnhancementRequest]:
    """The enhancement requests delivered in `release` (status delivered there), by key."""
    return EnhancementRequest.objects.filter(
        delivered_release=release, status=EnhancementRequest.Status.DELIVERED
    ).order_by("key")


def release_request_links(request_ids: list[int]) -> QuerySet[TicketRequestLink]:
    """The ticket links of these requests (the tickets and customers that asked)."""
    return TicketRequestLink.objects.filter(request_id__in=request_ids)


def release_affected_customers(release: Release) -> QuerySet[Customer]:
    """Customers with a ticket linked to a defect fixed in `release`, by name."""
    customer_ids = release_fix_links(release).values("ticket__customer_id")
    return Customer.objects.filter(pk__in=customer_ids).order_by(Lower("name"), "pk")


def notice_progress(release: Release) -> dict[str, int]:
    """How many notices of `release` are in each state, plus the total."""
    counts = dict.fromkeys(ReleaseNotice.Status.values, 0)
    rows = ReleaseNotice.objects.filter(release=release).values("status").annotate(n=Count("pk"))
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts
