"""Reads for the release pages and services."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from core.paths import path_maker
from defects.models import Defect, TicketDefectLink
from enhancements.models import EnhancementRequest, TicketRequestLink
from releases.models import Release, ReleaseNotice
from tickets.models import Customer, Product

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
    """Customers with a ticket linked to a defect fixed in `release` or to a request it delivers, by name."""
    fixed = release_fix_links(release).values("ticket__customer_id")
    asked = TicketRequestLink.objects.filter(request__in=release_delivered_requests(release)).values("customer_id")
    return Customer.objects.filter(Q(pk__in=fixed) | Q(pk__in=asked)).order_by(Lower("name"), "pk")


def notice_progress(release: Release) -> dict[str, int]:
    """How many notices of `release` are in each state, plus the total."""
    counts = dict.fromkeys(ReleaseNotice.Status.values, 0)
    rows = ReleaseNotice.objects.filter(release=release).values("status").annotate(n=Count("pk"))
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


def releases_by_product(*, product: Product | None = None) -> QuerySet[Release]:
    """Releases grouped by product (by name), newest version first; `product`: only its own."""
    releases = Release.objects.select_related("product").order_by("product__name", "product_id", "-version_key")
    if product is not None:
        releases = releases.filter(product=product)
    return releases


# get_status_display rebuilds its choices on every call.
_RELEASE_STATUS = dict(Release.Status.choices)


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """A release as the release list shows it, with its defect counts and links."""

    pk: int
    product: Product
    version: str
    status: str
    status_label: str
    planned_date: date | None
    released_at: datetime | None
    fixed_count: int
    planned_count: int
    url: str
    report_url: str


def _defect_counts(release_field: str, release_ids: list[int], **filters) -> dict[int, int]:
    """release id -> how many defects name it in `release_field` (and match `filters`)."""
    rows = (
        Defect.objects.filter(**{f"{release_field}__in": release_ids}, **filters)
        .order_by().values(release_field).annotate(n=Count(release_field)).values_list(release_field, "n")
    )
    return dict(rows)


def release_list_rows(releases: Iterable[Release]) -> list[ReleaseRow]:
    """The rows of `releases` (a page of releases_by_product) with the defects fixed in each and those
    still open and planned for it: two grouped reads through the release indexes, whatever the
    number of rows, rather than a count per release."""
    releases = list(releases)  # a page's slice: read once
    ids = [release.pk for release in releases]
    fixed = _defect_counts("fixed_in_release", ids, status__in=FIXED_STATUSES)
    planned = _defect_counts("planned_release", ids, status__in=Defect.OPEN_STATUSES)
    detail, report = path_maker("releases:detail"), path_maker("releases:report")
    return [
        ReleaseRow(
            pk=release.pk, product=release.product, version=release.version, status=release.status,
            status_label=_RELEASE_STATUS.get(release.status, release.status),
            planned_date=release.planned_date, released_at=release.released_at,
            fixed_count=fixed.get(release.pk, 0), planned_count=planned.get(release.pk, 0),
            url=detail(release.pk), report_url=report(release.pk),
        )
        for release in releases
    ]



# Defects a page of the release page lists: a busy release fixes a thousand and more.
RELEASE_DEFECTS_PAGE = 50


# What a table of a release's defects shows (releases/views.py, _defect_table): not their long texts.
TABLE_FIELDS = ("id", "key", "title", "severity", "status", "team__name", "customer_count", "ticket_count")


def release_defects(release: Release, *, fixed_page=1, planned_page=1) -> tuple[Page, Page]:
    """The release page's two lists, a page each: defects fixed in it, and open defects planned for it."""
    defects = Defect.objects.select_related("team").only(*TABLE_FIELDS).order_by("severity", "key")
    # Fixed as the report counts them: a defect still being worked on is not fixed, whatever its
    # "fixed in" says (code traceability gives one to any defect whose commit a shipped tag holds).
    fixed = defects.filter(fixed_in_release=release, status__in=FIXED_STATUSES)
    planned = defects.filter(planned_release=release, status__in=Defect.OPEN_STATUSES)
    return (
        Paginator(fixed, RELEASE_DEFECTS_PAGE).get_page(fixed_page),
        Paginator(planned, RELEASE_DEFECTS_PAGE).get_page(planned_page),
    )
