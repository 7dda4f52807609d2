"""What the fixed-in-release report holds: plain rows that the page, the CSV, the API and the emails read."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Page

from defects.models import Defect
from releases.models import Release, ReleaseNotice
from releases.services.report.code import Take
from tickets.models import Contact, Customer, Ticket

# get_status_display rebuilds its choices on every call; the report shows hundreds of rows.
_TICKET_STATUS = dict(Ticket.Status.choices)
_DEFECT_STATUS = dict(Defect.Status.choices)


@dataclass(slots=True)
class Fix:
    """A defect as the report shows it, read as plain values (hundreds per report)."""

    pk: int
    key: str
    title: str
    severity: str
    status: str = ""
    # The defects table: its linked tickets and customers (in a narrowed report, that customer's).
    linked_tickets: int = 0
    linked_customers: int = 0
    # Its tickets among the customers the report read (all of them, or one page's), by number.
    tickets: list[Ticket] = field(default_factory=list)
    # In the upgrade advice: the release that shipped it.
    fixed_in_version: str = ""
    fixed_in_key: str = ""
    # In one row of the advice: the release that row's customers should take for it, when the
    # code says (a backport on their own line); None: the release that shipped it.
    take: Take | None = None
    # The defect page's address, set by the page that shows the row.
    url: str = ""

    @property
    def take_label(self) -> str:
        return self.take.label if self.take else self.fixed_in_version

    @property
    def status_label(self) -> str:
        return _DEFECT_STATUS.get(self.status, self.status)


@dataclass
class ReportTicket:
    ticket: Ticket
    defects: list[Fix] = field(default_factory=list)

    @property
    def can_close(self) -> bool:
        """An open ticket whose problem this release fixes can now be closed."""
        return self.ticket.is_open

    @property
    def status_label(self) -> str:
        return _TICKET_STATUS.get(self.ticket.status, self.ticket.status)

    @property
    def defect_keys(self) -> str:
        return ", ".join(d.key for d in self.defects)


@dataclass
class ReportContact:
    contact: Contact
    tickets: list[Ticket] = field(default_factory=list)
    notice: ReleaseNotice | None = None
    # The release to take for the fixes of these tickets (None: the version the customer runs holds them).
    upgrade: Take | None = None

    @property
    def notified_at(self) -> datetime | None:
        return self.notice.sent_at if self.notice else None


@dataclass
class ReportCustomer:
    customer: Customer
    tickets: list[ReportTicket] = field(default_factory=list)
    contacts: list[ReportContact] = field(default_factory=list)
    # The newest version the customer reported on the release's product (None: none reported).
    version: str | None = None
    # The release to take for the fixes of its tickets: a backport of its own line when the code
    # says so, else the report's release (None: the version it runs holds them all).
    upgrade: Take | None = None


@dataclass
class AdviceRow:
    """The customers whose newest reported version is `version`, and what upgrading gains them.

    Cut for the page (the first few customers and the most severe fixes, with
    their counts) or whole (every customer and every fix) for the API.
    """

    version: str
    version_key: str
    customer_count: int
    # (id, name) of the customers on `version`, by name.
    customers: list[tuple[int, str]] = field(default_factory=list)
    gains_by_severity: dict[str, int] = field(default_factory=dict)
    # The fixes shipped after `version` up to the release, the most severe first (minus those the
    # code shows `version` already holds, through a backport).
    gains: list[Fix] = field(default_factory=list)
    # The one release that brings every gain (None: `version` holds them all).
    upgrade: Take | None = None

    @property
    def customer_names(self) -> list[str]:
        return [name for _, name in self.customers]

    @property
    def more_customers(self) -> int:
        return self.customer_count - len(self.customers)

    @property
    def gain_count(self) -> int:
        return sum(self.gains_by_severity.values())

    @property
    def more_gains(self) -> int:
        return self.gain_count - len(self.gains)

    @property
    def by_severity(self) -> str:
        """The gains counted per severity, most severe first: "3 S1, 12 S2"."""
        return ", ".join(f"{n} {severity}" for severity, n in sorted(self.gains_by_severity.items()))


@dataclass
class UpgradeAdvice:
    """One customer's advice: the version it runs and every fix it would gain, in release order."""

    customer_id: int
    customer_name: str
    version: str
    gains: list[Fix]
    upgrade: Take | None = None


@dataclass
class DeliveredRequest:
    """An enhancement request the release delivers, with the customers and tickets that asked for it."""

    pk: int
    key: str
    title: str
    # (id, name) of the customers asking, by name.
    customers: list[tuple[int, str]] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    @property
    def customer_names(self) -> list[str]:
        return [name for _, name in self.customers]


@dataclass
class RequestContact:
    """A contact to tell that the feature their tickets asked for is in the release."""

    contact: Contact
    requests: list[DeliveredRequest] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    notice: ReleaseNotice | None = None

    @property
    def notified_at(self) -> datetime | None:
        return self.notice.sent_at if self.notice else None


@dataclass
class ReleaseReport:
    release: Release
    defects: list[Fix]
    # The customers to tell that this report carries (every one, or one page's), by name.
    customers: list[ReportCustomer]
    # Where `customers` sits among all the customers to tell.
    page: Page
    upgrades: list[AdviceRow]
    customer_filter: Customer | None = None
    # (id, name) of every affected customer, by name: the page's customer filter offers them.
    affected: list[tuple[int, str]] = field(default_factory=list)
    # The release's notices counted per state (releases.selectors.notice_progress).
    progress: dict[str, int] = field(default_factory=dict)
    # The enhancement requests it delivers (by key), and whom to tell of them (by name).
    requests: list[DeliveredRequest] = field(default_factory=list)
    request_contacts: list[RequestContact] = field(default_factory=list)
    # The page's slice of `defects` (release_report_page); None where the whole report is read.
    fixes: Page | None = None

    @property
    def customer_count(self) -> int:
        return self.page.paginator.count

    @property
    def contacts(self) -> list[ReportContact]:
        return [c for customer in self.customers for c in customer.contacts]

    def upgrades_per_customer(self) -> list[UpgradeAdvice]:
        """The advice customer by customer (by name), each with its fixes in release order.

        Whole only when the advice is (every customer of each row): the report API's form.
        """
        advice = []
        for row in self.upgrades:
            # One list per row, shared by its customers: thousands of customers, a few dozen rows.
            gains = sorted(row.gains, key=lambda d: (d.fixed_in_key, d.severity, d.key))
            advice += [UpgradeAdvice(pk, name, row.version, gains, row.upgrade) for pk, name in row.customers]
        return sorted(advice, key=lambda a: (a.customer_name.lower(), a.customer_id))
