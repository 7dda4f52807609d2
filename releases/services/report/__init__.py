"""The fixed-in-release report, worked out once: what a release fixes, for whom, and whom to tell.

`release_report` yields, for a release (optionally narrowed to one customer):

- the fixes (defects fixed in it), each with its linked tickets and customers
  counted;
- the customers to tell, by name, with their tickets that the fixes close,
  their contacts and notices, and the newest version each reported on the
  product;
- the enhancement requests it delivers, each with the customers and tickets
  that asked, and the contacts to tell "the feature you asked for is in it";
- the upgrade advice: one row per version that is some customer's newest and
  older than the release, with what upgrading gains them;
- for each customer, its contacts and each advice row, the release to take:
  where the code shows a fix backported to the customer's own maintenance
  line, that line's release (2.3.4 -> 2.3.5, not 2.4.1); else this release
  (releases.services.report.code).

The CSV, the report API and the outreach read every customer and the whole
advice; the report page reads one page of customers (`release_report_page`)
and loads a cut advice by its own request (`release_upgrade_advice`). All of
them go through the same code, in the same number of queries whatever the
number of defects, tickets and customers.
"""

from django.core.paginator import Paginator

from core.charts import cached_until_change
from defects.models import TicketDefectLink
from enhancements.models import TicketRequestLink
from releases.code.models import FixRelease
from releases.models import Release
from releases.selectors import notice_progress
from releases.services.report.advice import Newest, upgrade_advice
from releases.services.report.customers import Links, attach_upgrades, customer_entries, release_fixes
from releases.services.report.requests import Asked, delivered_requests
from releases.services.report.rows import (
    AdviceRow,
    DeliveredRequest,
    Fix,
    ReleaseReport,
    ReportContact,
    ReportCustomer,
    ReportTicket,
    RequestContact,
    UpgradeAdvice,
)
from tickets.models import Customer

__all__ = [
    "ADVICE_FIXES", "ADVICE_NAMES", "CUSTOMERS_PER_PAGE", "FIXES_PER_PAGE", "AdviceRow", "DeliveredRequest", "Fix",
    "ReleaseReport",
    "ReportContact", "ReportCustomer", "ReportTicket", "RequestContact", "UpgradeAdvice", "release_report",
    "release_report_page",
    "release_upgrade_advice",
]

CUSTOMERS_PER_PAGE = 25
# The page's table of fixes: a release can fix a thousand defects; the CSV and the API carry them all.
FIXES_PER_PAGE = 50
# What one row of the page's advice shows: its first customers and its most severe fixes.
ADVICE_NAMES = 5
ADVICE_FIXES = 5


def fixes_and_links(release: Release) -> tuple[Links, Asked]:
    """The release's fixes and their links (Links.read), and the requests it delivers with the
    tickets that asked (Asked.read), kept until the next change.

    A release of a thousand fixes has thousands of links, each read with its
    ticket's customer: most of the report's reading, and the same for every
    page of it and every colleague. Every change writes an audit row
    (core.charts.cached_until_change); the newest links are part of the key too,
    so that a link written without one (a conversion's, a data import's) is seen.
    The contacts to tell are not kept: they are read each time.
    """
    return cached_until_change(
        f"release-links:{release.pk}", lambda: (Links.read(release), Asked.read(release)),
        also=(TicketDefectLink, TicketRequestLink),
    )


def _affected(links: Links, asked: Asked) -> list[tuple[int, str]]:
    """(id, name) of each customer the release concerns, by name: a fix's or a delivered request's
    (releases.selectors.release_affected_customers, which the filter checks against, reads the same)."""
    customers = set(links.customers) | {(link[1], link[2]) for link in asked.links}
    return sorted(customers, key=lambda c: (c[1].lower(), c[0]))


def release_report(
    release: Release, *, customer: Customer | None = None, page: int | str | None = 1,
    per_page: int | None = None, with_upgrades: bool = True,
) -> ReleaseReport:
    """The report for `release`, optionally narrowed to `customer`.

    With `per_page`, page `page` of the customers and the advice cut to what a
    page shows (see release_report_page); without, every customer and the
    whole advice. `with_upgrades=False` leaves the advice out.
    """
    links, asked = fixes_and_links(release)
    shown_links = links.rows if customer is None else links.only_customer(customer.pk)
    defects = release_fixes(links.fixed, shown_links, narrowed=customer is not None)
    shown = links.customers if customer is None else [c for c in links.customers if c[0] == customer.pk]
    if per_page is None:
        customer_page = Paginator(shown, max(1, len(shown))).page(1)
    else:
        customer_page = Paginator(shown, per_page).get_page(page)
    progress = notice_progress(release)
    entries = customer_entries(
        release, [Customer(pk=pk, name=name) for pk, name in customer_page.object_list], defects, shown_links,
        any_notice=progress["total"] > 0,
    )
    customer_page.object_list = entries
    newest = Newest(release)
    newest.attach(entries)
    attach_upgrades(release, entries)
    upgrades = []
    if with_upgrades:
        cut = per_page is not None
        upgrades = upgrade_advice(
            release, newest, customer=customer,
            names=ADVICE_NAMES if cut else None, fixes=ADVICE_FIXES if cut else None,
        )
    requests, request_contacts = delivered_requests(
        asked, release, customer_id=customer.pk if customer is not None else None, any_notice=progress["total"] > 0
    )
    return ReleaseReport(
        release=release, defects=defects, customers=entries, page=customer_page, upgrades=upgrades,
        customer_filter=customer, affected=_affected(links, asked), progress=progress, requests=requests,
        request_contacts=request_contacts,
    )


def release_report_page(
    release: Release, *, customer: Customer | None = None, page: int | str | None = 1,
    fixes_page: int | str | None = 1, with_upgrades: bool = True,
) -> ReleaseReport:
    """The report as its page shows it: page `page` of the customers, page `fixes_page` of the
    fixes (`report.fixes`), the advice cut per row.

    Every fix is still worked out (the customers' tickets come under their most
    severe fix); only the table shows a page of them.
    """
    report = release_report(
        release, customer=customer, page=page, per_page=CUSTOMERS_PER_PAGE, with_upgrades=with_upgrades
    )
    report.fixes = Paginator(report.defects, FIXES_PER_PAGE).get_page(fixes_page)
    return report


def release_upgrade_advice(release: Release, *, customer: Customer | None = None) -> list[AdviceRow]:
    """The advice alone, cut as the page shows it (the report page loads it after the rest of the page).

    Kept until the next change (core.charts.cached_until_change): it weighs every
    fix after each customer version against the code's first releases, which a
    manager's reloads and colleagues opening the same report need not pay again.
    Scans write first releases without an audit row, so the newest first release
    is part of the key too.
    """
    return cached_until_change(
        f"release-advice:{release.pk}:{customer.pk if customer else 'all'}",
        lambda: upgrade_advice(release, Newest(release), customer=customer, names=ADVICE_NAMES, fixes=ADVICE_FIXES),
        also=(FixRelease,),
    )
