"""Reads for the release pages and services."""

from django.db.models import Count, QuerySet
from django.db.models.functions import Lower

from defects.models import Defect, TicketDefectLink
from releases.models import Release, ReleaseNotice
from tickets.models import Customer

# A defect fixed in a release: fixed there, or already shipped with it.
FIXED_STATUSES = (Defect.Status.FIXED, Defect.Status.RELEASED)


def release_fix_links(release: Release) -> QuerySet[TicketDefectLink]:
    """The links of the tickets to the defects fixed in `release`."""
    return TicketDefectLink.objects.filter(defect__fixed_in_release=release, defect__status__in=FIXED_STATUSES)


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
