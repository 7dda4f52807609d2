"""Upgrade advice for a customer's installations: which releases fix which of their tickets.

No rule of its own: the release to take for a fix is the release report's
(`releases.services.report.code`: `CodeAdvice.take` on the first releases that
code traceability found, so a backport to the customer's own maintenance line
is preferred, else the hand-marked "fixed in"), and the one release that brings
every fix of an installation is the report's `highest`. Like the report's
advice, only a release newer than what the installation runs is advised, and
only a shipped one.

Like the report's advice, it is kept until the next change
(core.charts.cached_until_change), per customer, or per contact where the
customer's contacts see only their own tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.charts import cached_until_change
from core.versions import version_sort_key
from defects.models import Defect, TicketDefectLink
from portal.models import Installation
from portal.selectors import PortalIdentity, customer_installations, portal_tickets
from releases.code.models import FixRelease
from releases.models import Release
from releases.selectors import FIXED_STATUSES
from releases.services.report.code import HELD, CodeAdvice, Take, highest
from tickets.selectors import current_defect_id


@dataclass(frozen=True, slots=True)
class AdvisedTicket:
    pk: int
    number: str
    subject: str


@dataclass
class AdviceLine:
    """Taking `take` fixes `tickets`."""

    take: Take
    tickets: list[AdvisedTicket] = field(default_factory=list)


@dataclass
class InstallationAdvice:
    installation: Installation
    lines: list[AdviceLine] = field(default_factory=list)  # lowest release first
    upgrade: Take | None = None  # the one release that brings every line's fixes
    held: list[AdvisedTicket] = field(default_factory=list)  # fixed in what the installation runs


def _is_newer(take: Take, version: str | None) -> bool:
    return version is None or take.version_key > version_sort_key(version)


def installations_advice(identity: PortalIdentity) -> list[InstallationAdvice]:
    """Each of the customer's installations with the fixes of the contact's visible tickets on its product.

    Kept until the next change: every change writes an audit row, and links and the code's
    first releases, which can be written without one, are part of the key too (as for the
    release report's advice). An organisation's advice weighs every fixed ticket it has on
    the products it runs, which a contact's reloads and an API client's polling need not
    pay again. Worked out, it is one query for the key and the ones below.
    """
    reader = identity.contact_id if identity.own_only else "all"
    return cached_until_change(
        f"portal-advice:{identity.customer_id}:{reader}", lambda: _worked_out(identity),
        also=(TicketDefectLink, FixRelease),
    )


def _worked_out(identity: PortalIdentity) -> list[InstallationAdvice]:
    """installations_advice, read afresh. A fixed number of queries: the installations, the
    tickets with their current defects' ids, the fixed ones of those defects, and the code's
    first releases (CodeAdvice.read: two at most).
    """
    installations = customer_installations(identity.customer_id)
    result = [InstallationAdvice(installation=i) for i in installations]
    products = {i.product_id for i in installations}
    if not products:
        return result
    # Each visible ticket on those products that has a defect, with its current one: index
    # probes alone. (A first read of the tickets with a fix in any link, then a second of
    # their current defects, probed each ticket's links twice.)
    rows = (
        portal_tickets(identity).filter(product_id__in=products).annotate(current=current_defect_id())
        .filter(current__isnull=False).order_by().values_list("pk", "product_id", "number", "subject", "current")
    )
    tickets: dict[int, tuple[int, AdvisedTicket]] = {}
    current: dict[int, int] = {}
    for pk, product_id, number, subject, defect_id in rows:
        tickets[pk] = (product_id, AdvisedTicket(pk, number, subject))
        current[pk] = defect_id
    # Defect id -> (fixed-in version, that release's status), for the fixed ones alone.
    fixed = {
        pk: (version, status) for pk, version, status in Defect.objects.filter(
            pk__any_of=set(current.values()), status__in=FIXED_STATUSES, fixed_in_release__isnull=False,
        ).values_list("pk", "fixed_in_release__version", "fixed_in_release__status")
    }
    # ticket -> (defect id, fixed-in version, that release's status)
    defects = {pk: (defect_id, *fixed[defect_id]) for pk, defect_id in current.items() if defect_id in fixed}
    advice = CodeAdvice.read(sorted({d[0] for d in defects.values()}))
    for entry in result:
        installed = entry.installation.version.name if entry.installation.version_id else None
        takes: dict[str, AdviceLine] = {}
        for ticket_pk, (defect_id, fixed_in, fixed_status) in sorted(defects.items()):
            product_id, ticket = tickets[ticket_pk]
            if product_id != entry.installation.product_id:
                continue
            take = advice.take(defect_id, version=installed, fixed_in=fixed_in)
            if take is HELD or not _is_newer(take, installed):
                entry.held.append(ticket)
                continue
            if take.version == fixed_in and fixed_status != Release.Status.RELEASED:
                continue  # fixed, but in a release not shipped yet: the ticket's status says when
            takes.setdefault(take.version_key, AdviceLine(take)).tickets.append(ticket)
        entry.lines = [takes[key] for key in sorted(takes)]
        if entry.lines:
            entry.upgrade = highest([line.take for line in entry.lines], entry.lines[-1].take.version)
    return result
