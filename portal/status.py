"""What a customer reads of a ticket: one plain sentence from the help desk's status, its
defect's engineering status and releases, or its enhancement request's status.

`plain_status` is the one place this is decided: the portal's pages, its API and
the emails that tell a contact of a change all call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from defects.models import Defect
from enhancements.models import EnhancementRequest
from releases.models import Release
from tickets.models import Ticket

T, D, R = Ticket.Status, Defect.Status, EnhancementRequest.Status
# Engineering is on it: the customer hears of a fix, a plan or "working on a fix".
ENGINEERING_ACTIVE = {*Defect.OPEN_STATUSES, D.FIXED}


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the plain status is read from (tickets.selectors / portal.selectors read them in bulk)."""

    status: str
    planned_fix_slipped: bool = False
    defect_status: str | None = None
    planned: str | None = None  # the defect's planned release, its version
    fixed_in: str | None = None  # the defect's fixed-in release, its version
    fixed_in_status: str | None = None  # that release's status (planned or released)
    request_status: str | None = None
    request_target: str | None = None  # the request's target release, its version
    request_delivered: str | None = None  # the release that delivered it, its version

    @property
    def ticket_closed(self) -> bool:
        return self.status in (T.RESOLVED, T.CLOSED)


@dataclass(frozen=True, slots=True)
class PlainStatus:
    code: str
    text: str

    def __str__(self) -> str:
        return self.text


RECEIVED = PlainStatus("received", "We have your request")
LOOKING = PlainStatus("looking", "We are looking into it")
WORKING = PlainStatus("working", "Our engineers are working on a fix")
WAITING = PlainStatus("waiting", "We are waiting for your reply")
SOLVED = PlainStatus("solved", "Solved")
WITH_PRODUCT = PlainStatus("with_product", "Your request is with our product team")
DECLINED = PlainStatus("declined", "Our product team will not build this for now")
# A defect marked released by hand, with no release named.
FIXED_UNNAMED = PlainStatus("fixed", "Fixed: upgrade to the newest version to get it")


def planned_fix(version: str) -> PlainStatus:
    return PlainStatus("planned", f"A fix is planned for version {version} (an estimate, not a promise)")


def fixed_in(version: str) -> PlainStatus:
    return PlainStatus("fixed", f"Fixed in {version}: upgrade to get it")


def request_planned(version: str) -> PlainStatus:
    return PlainStatus("request_planned", f"Planned for version {version} (an estimate, not a promise)")


def request_delivered(version: str) -> PlainStatus:
    return PlainStatus("delivered", f"Delivered in {version}: upgrade to get it")


def _engineering(facts: TicketFacts) -> PlainStatus | None:
    status = facts.defect_status
    if status is None:
        return None
    shipped = facts.fixed_in and facts.fixed_in_status == Release.Status.RELEASED
    if status == D.RELEASED or (status == D.FIXED and shipped):
        return fixed_in(facts.fixed_in) if facts.fixed_in else FIXED_UNNAMED
    if status not in ENGINEERING_ACTIVE:
        return None  # won't fix, cannot reproduce, duplicate, converted: the help desk speaks
    if facts.ticket_closed:
        return None
    # A fix made but not shipped names the release it is in; otherwise the plan, unless it slipped
    # (the help desk must not repeat an estimate a release already missed).
    if status == D.FIXED and facts.fixed_in:
        return planned_fix(facts.fixed_in)
    if facts.planned and not facts.planned_fix_slipped:
        return planned_fix(facts.planned)
    return WORKING


def _product(facts: TicketFacts) -> PlainStatus | None:
    status = facts.request_status
    if status is None or status in (R.CONVERTED,):
        return None
    if status == R.DELIVERED and facts.request_delivered:
        return request_delivered(facts.request_delivered)
    if facts.ticket_closed:
        return None
    if status in (R.PLANNED, R.IN_DEVELOPMENT) and facts.request_target:
        return request_planned(facts.request_target)
    if status == R.DECLINED:
        return DECLINED
    return WITH_PRODUCT


def plain_status(facts: TicketFacts) -> PlainStatus:
    """The status a customer reads, first match wins:

    1. waiting on the customer: "We are waiting for your reply";
    2. the defect: shipped "Fixed in 2.4.1: upgrade to get it"; being worked on
       "A fix is planned for version 2.4 (...)" or "Our engineers are working on a fix";
    3. the enhancement request: delivered, planned, declined or with product management;
    4. the help desk: resolved or closed "Solved", new "We have your request",
       anything else "We are looking into it".
    """
    if facts.status == T.AWAITING_CUSTOMER:
        return WAITING
    found = _engineering(facts) or _product(facts)
    if found is not None:
        return found
    if facts.ticket_closed:
        return SOLVED
    if facts.status == T.NEW:
        return RECEIVED
    return LOOKING
