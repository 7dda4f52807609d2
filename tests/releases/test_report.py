import csv
import io
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Channel
from core.versions import version_sort_key
from defects.models import Defect, TicketDefectLink
from releases.models import Release, ReleaseNotice
from releases.services.export import csv_cell, report_csv
from releases.services.report import (
    ADVICE_FIXES,
    ADVICE_NAMES,
    CUSTOMERS_PER_PAGE,
    release_report,
    release_report_page,
)
from releases.services.ship import release_ship
from tickets.models import Contact, Customer, ProductVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def older_release(product) -> Release:
    return Release.objects.create(product=product, version="2.3.5")


def test_the_report_lists_fixed_defects_with_severity_and_tickets_and_the_customers_to_tell(
    release, manager, fixed_in, make_ticket, customer, contact, other_customer
):
    bob = Contact.objects.create(customer=other_customer, name="Bob Globex", email="bob@globex.test")
    first = make_ticket(contact=contact, subject="Export times out")
    second = make_ticket(customer=other_customer, subject="PDF never arrives")
    defect = fixed_in(release, ticket=first, also=[second])
    release_ship(release=release, actor=manager, channel=Channel.WEB)

    report = release_report(release)

    assert [d.key for d in report.defects] == [defect.key]
    defect_row = report.defects[0]
    assert defect_row.severity == "S2"  # entire customer, degraded; a second customer keeps S2
    assert {ticket.number for ticket in defect_row.tickets} == {first.number, second.number}
    assert [c.customer.name for c in report.customers] == ["Acme Corp", "Globex"]
    acme, globex = report.customers
    assert [row.ticket.number for row in acme.tickets] == [first.number]
    assert acme.tickets[0].can_close
    assert [(r.contact.email, [t.number for t in r.tickets]) for r in acme.contacts] == [
        ("carol@acme.test", [first.number])
    ]
    # A ticket naming no contact goes to every contact of its customer.
    assert [r.contact.email for r in globex.contacts] == [bob.email]


def test_the_report_ignores_defects_not_fixed_in_the_release(release, next_release, fixed_in, planned_for):
    fixed_in(next_release)
    planned_for(release)
    report = release_report(release)
    assert report.defects == [] and report.customers == []


def test_filtering_by_customer_keeps_only_that_customer(release, fixed_in, make_ticket, customer, other_customer):
    fixed_in(release, ticket=make_ticket(), title="Acme only")
    fixed_in(release, ticket=make_ticket(customer=other_customer), title="Globex only")
    shared = fixed_in(release, ticket=make_ticket(), also=[make_ticket(customer=other_customer)], title="Both")

    report = release_report(release, customer=other_customer)

    assert sorted(d.title for d in report.defects) == ["Both", "Globex only"]
    assert [c.customer for c in report.customers] == [other_customer]
    links = {d.key: [ticket.customer_id for ticket in d.tickets] for d in report.defects}
    assert links[shared.key] == [other_customer.pk]


def test_upgrade_advice_names_customers_on_older_versions_and_the_fixes_they_gain(
    product, release, older_release, next_release, manager, fixed_in, make_ticket, customer, other_customer
):
    v230 = ProductVersion.objects.create(product=product, name="2.3.0")
    v236 = ProductVersion.objects.create(product=product, name="2.3.6")
    v240 = ProductVersion.objects.create(product=product, name="2.4.0")
    third = Customer.objects.create(name="Initech")
    early = fixed_in(older_release, title="Rounding in 2.3.5")
    release_ship(release=older_release, actor=manager, channel=Channel.WEB)
    now = fixed_in(release, title="Timeout in 2.4.0")
    fixed_in(next_release, title="Not shipped, not offered")
    make_ticket(customer=customer, version=v230)
    make_ticket(customer=other_customer, version=v236)
    make_ticket(customer=third, version=v240)

    report = release_report(release)

    advice = {a.customer_name: (a.version, [d.key for d in a.gains]) for a in report.upgrades_per_customer()}
    assert advice == {
        "Acme Corp": ("2.3.0", [early.key, now.key]),
        "Globex": ("2.3.6", [now.key]),
    }


def test_customers_on_the_same_version_share_one_row_of_upgrade_advice(
    product, release, fixed_in, make_ticket, customer, other_customer, agent, client
):
    v230 = ProductVersion.objects.create(product=product, name="2.3.0")
    make_ticket(customer=customer, version=v230)
    make_ticket(customer=other_customer, version=v230)
    fixes = [fixed_in(release, title=f"Fix number {n}") for n in range(27)]

    groups = upgrade_groups(release_report(release))

    assert [(g.version, g.customer_names) for g in groups] == [("2.3.0", ["Acme Corp", "Globex"])]
    assert len(groups[0].gains) == len(fixes)
    client.force_login(agent)
    page = client.get(f"/releases/{release.pk}/report/advice/", headers={"HX-Request": "true"}).content.decode()
    assert "2</strong> customers: Acme Corp, Globex" in page
    assert "27</strong> fixes" in page
    assert f"and {27 - ADVICE_FIXES} more fixes" in page


def test_a_customer_counts_as_running_the_newest_version_it_reported(product, release, make_ticket, customer):
    old = ProductVersion.objects.create(product=product, name="2.9.0")
    new = ProductVersion.objects.create(product=product, name="2.10.0")
    make_ticket(version=old)
    make_ticket(version=new)
    late = Release.objects.create(product=product, version="2.10.1")
    advice = release_report(late).upgrades_per_customer()
    assert [(a.customer_name, a.version) for a in advice] == [("Acme Corp", "2.10.0")]
    assert release_report(release).upgrades == []


def test_each_contact_carries_when_it_was_notified(release, manager, fixed_in, make_ticket, contact):
    fixed_in(release, ticket=make_ticket(contact=contact))
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    notice = ReleaseNotice.objects.create(release=release, contact=contact, status="sent")
    ReleaseNotice.objects.filter(pk=notice.pk).update(sent_at="2026-11-20T10:00:00Z")

    [recipient] = release_report(release).contacts
    assert recipient.notified_at.isoformat().startswith("2026-11-20T10:00")


def test_the_report_takes_the_same_number_of_queries_for_2_or_20_defects(release, many_fixed):
    many_fixed(release, 0, 2)
    with CaptureQueriesContext(connection) as small:
        report = release_report(release)
        report_csv(report)
    assert len(report.defects) == 2

    many_fixed(release, 2, 18)
    with CaptureQueriesContext(connection) as large:
        report = release_report(release)
        report_csv(report)
    assert len(report.defects) == 20 and len(report.upgrades) == 20
    # The report with its whole advice; the CSV alone leaves the advice out. One query each for
    # the first releases of the customers' fixes and of the advice's (none here: no repository),
    # and one for the enhancement requests the release delivers (none here; at most four with some:
    # tests/releases/test_delivered_requests.py). One query (three index lookups) decides whether the
    # release's links, fixes and requests were kept (releases.services.report.fixes_and_links).
    assert len(large) == len(small) <= 15
    with CaptureQueriesContext(connection) as csv_only:
        report_csv(release_report(release, with_upgrades=False))
    assert len(csv_only) <= 9


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Acme = fine", "Acme = fine"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(value, expected):
    assert csv_cell(value) == expected


def test_the_csv_escapes_customer_supplied_text(release, fixed_in, make_ticket):
    evil = Customer.objects.create(name="=cmd|'/C calc'!A0")
    Contact.objects.create(customer=evil, name="@mallory", email="m@evil.test")
    fixed_in(release, ticket=make_ticket(customer=evil, subject="-2+3 totals"), title="+SUM(1)")

    rows = list(csv.reader(io.StringIO(report_csv(release_report(release)))))

    assert rows[0][:4] == ["Customer", "Contacts", "Ticket", "Subject"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Customer"] == "'=cmd|'/C calc'!A0"
    assert row["Contacts"] == "'@mallory <m@evil.test>"
    assert row["Subject"] == "'-2+3 totals"
    assert row["Defect title"] == "'+SUM(1)"
    assert row["Fixed in"] == "2.4.0"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


# The report page (releases.services.report.release_report_page) shows the same report in bounded parts:
# each part must agree with the full report the CSV, the API and outreach use.


@pytest.fixture
def fix(agent):
    """fix(release, severity, *tickets): a fixed defect of `release` linked to `tickets`, written directly."""
    made = []

    def make(release, severity, *tickets, status=Defect.Status.FIXED):
        defect = Defect.objects.create(
            key=f"DEF-P{len(made)}", title=f"Fix {len(made)}", product=release.product, impact="single_user",
            urgency="blocked", severity=severity, status=status, fixed_in_release=release,
        )
        for ticket in tickets:
            TicketDefectLink.objects.create(ticket=ticket, defect=defect, linked_by=agent)
        made.append(defect)
        return defect

    return make


@dataclass
class UpgradeGroup:
    version: str
    customer_names: list[str]
    gains: list


def upgrade_groups(report) -> list[UpgradeGroup]:
    """The full report's per-customer advice grouped by the version run: what the page shows per row."""
    groups: dict[str, UpgradeGroup] = {}
    for advice in report.upgrades_per_customer():
        group = groups.setdefault(advice.version, UpgradeGroup(advice.version, [], advice.gains))
        group.customer_names.append(advice.customer_name)
    return sorted(groups.values(), key=lambda g: -len(g.gains))


def _advice_from_full_report(report) -> list[tuple]:
    """The full report's upgrade advice in the page's terms: one row per version, oldest first."""
    rows = []
    for group in sorted(upgrade_groups(report), key=lambda g: version_sort_key(g.version)):
        names = sorted(group.customer_names, key=str.lower)
        severities = {}
        for defect in group.gains:
            severities[defect.severity] = severities.get(defect.severity, 0) + 1
        most_severe = sorted(group.gains, key=lambda d: (d.severity, d.fixed_in_key, d.key))
        rows.append((
            group.version, len(names), names[:ADVICE_NAMES], len(group.gains), severities,
            [d.key for d in most_severe[:ADVICE_FIXES]],
        ))
    return rows


def _advice_on_page(page) -> list[tuple]:
    return [
        (r.version, r.customer_count, r.customer_names, r.gain_count, r.gains_by_severity, [d.key for d in r.gains])
        for r in page.upgrades
    ]


def test_the_page_advice_counts_and_cuts_what_the_full_report_lists(
    product, release, older_release, next_release, manager, fix, make_ticket
):
    v230 = ProductVersion.objects.create(product=product, name="2.3.0")
    v235 = ProductVersion.objects.create(product=product, name="2.3.5")
    v240 = ProductVersion.objects.create(product=product, name="2.4.0")
    for n in range(7):  # more than ADVICE_NAMES on 2.3.0
        make_ticket(customer=Customer.objects.create(name=f"{'ab'[n % 2]}-customer {n}"), version=v230)
    for n in range(2):
        customer = Customer.objects.create(name=f"Late {n}")
        make_ticket(customer=customer, version=v230)
        make_ticket(customer=customer, version=v235)  # the newest counts
    make_ticket(customer=Customer.objects.create(name="Current"), version=v240)  # not behind
    for severity in ["S3", "S1", "S4", "S2", "S1", "S3"]:
        fix(older_release, severity)
    for severity in ["S2", "S4", "S1", "S3", "S2"]:
        fix(release, severity)
    fix(next_release, "S1")  # not shipped, not up to this release: never offered
    release_ship(release=older_release, actor=manager, channel=Channel.WEB)

    page = release_report_page(release)

    assert _advice_on_page(page) == _advice_from_full_report(release_report(release))
    assert [(r.version, r.customer_count, r.more_customers, r.gain_count, r.more_gains) for r in page.upgrades] == [
        ("2.3.0", 7, 2, 11, 6), ("2.3.5", 2, 0, 5, 0),
    ]
    assert page.upgrades[0].gains_by_severity == {"S1": 3, "S2": 3, "S3": 3, "S4": 2}
    assert [d.severity for d in page.upgrades[0].gains] == ["S1", "S1", "S1", "S2", "S2"]


def test_the_page_advice_finds_the_newest_version_when_versions_were_added_out_of_order(
    product, release, make_ticket, customer, other_customer, fix
):
    # Ids no longer follow the versions: the advice compares the versions, not their ids.
    v2100 = ProductVersion.objects.create(product=product, name="2.10.0")
    v290 = ProductVersion.objects.create(product=product, name="2.9.0")
    v223 = ProductVersion.objects.create(product=product, name="2.2.3")
    make_ticket(customer=customer, version=v290)
    make_ticket(customer=customer, version=v223)
    make_ticket(customer=other_customer, version=v2100)
    make_ticket(customer=other_customer, version=v290)
    late = Release.objects.create(product=product, version="2.10.1")
    fix(late, "S2")

    page = release_report_page(late)

    assert [(r.version, r.customer_names) for r in page.upgrades] == [("2.9.0", ["Acme Corp"]), ("2.10.0", ["Globex"])]
    assert _advice_on_page(page) == _advice_from_full_report(release_report(late))
    # Both now run versions newer than 2.4.0: nothing to advise for it.
    assert release_report_page(release).upgrades == [] == release_report(release).upgrades


def _customers(entries) -> list[tuple]:
    return [
        (
            e.customer.pk, e.customer.name, e.version,
            [(row.ticket.number, row.can_close, [d.key for d in row.defects]) for row in e.tickets],
            [(r.contact.email, [t.number for t in r.tickets], r.notice and r.notice.status) for r in e.contacts],
        )
        for e in entries
    ]


def test_a_page_of_customers_is_the_full_report_cut_by_name(
    product, release, manager, fix, make_ticket, contact
):
    v230 = ProductVersion.objects.create(product=product, name="2.3.0")
    customers = [Customer.objects.create(name=f"Customer {n:02}") for n in range(CUSTOMERS_PER_PAGE + 3)]
    shared = fix(release, "S3", make_ticket(contact=contact))
    for n, customer in enumerate(customers):
        Contact.objects.create(customer=customer, name=f"Zed {n}", email=f"zed{n}@example.test")
        Contact.objects.create(customer=customer, name=f"Amy {n}", email=f"amy{n}@example.test")
        first = make_ticket(customer=customer, version=v230 if n % 2 else None)
        second = make_ticket(customer=customer, subject="Totals are off")
        fix(release, ["S1", "S2", "S4"][n % 3], first, second)
        TicketDefectLink.objects.create(ticket=second, defect=shared, linked_by=manager)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    ReleaseNotice.objects.create(release=release, contact=contact, status="sent")

    full = release_report(release)
    first_page = release_report_page(release)
    last_page = release_report_page(release, page=2)

    assert first_page.customer_count == len(full.customers) == CUSTOMERS_PER_PAGE + 4
    assert [c.customer.name for c in full.customers][:2] == ["Acme Corp", "Customer 00"]
    assert _customers(first_page.customers) == _customers(full.customers[:CUSTOMERS_PER_PAGE])
    assert _customers(last_page.customers) == _customers(full.customers[CUSTOMERS_PER_PAGE:])
    assert [r.contact.email for r in first_page.customers[1].contacts] == ["amy0@example.test", "zed0@example.test"]
    assert [(d.key, d.linked_tickets, d.linked_customers) for d in first_page.defects if d.pk == shared.pk] == [
        (shared.key, CUSTOMERS_PER_PAGE + 4, CUSTOMERS_PER_PAGE + 4)
    ]
    assert [d.key for d in first_page.defects] == [d.key for d in full.defects]
    assert first_page.affected == [(c.customer.pk, c.customer.name) for c in full.customers]


def test_narrowed_to_a_customer_the_page_counts_only_its_tickets(release, fix, make_ticket, customer, other_customer):
    both = fix(release, "S2", make_ticket(), make_ticket(), make_ticket(customer=other_customer))
    fix(release, "S3", make_ticket())

    page = release_report_page(release, customer=other_customer)

    assert [(d.key, d.linked_tickets, d.linked_customers) for d in page.defects] == [(both.key, 1, 1)]
    assert [e.customer for e in page.customers] == [other_customer]
    assert page.customer_count == 1


def test_the_page_takes_the_same_queries_for_2_or_40_customers(release, many_fixed):
    many_fixed(release, 0, 2)
    with CaptureQueriesContext(connection) as small:
        page = release_report_page(release)
    assert page.customer_count == 2 and len(page.upgrades) == 2

    many_fixed(release, 2, 38)
    with CaptureQueriesContext(connection) as large:
        page = release_report_page(release)
    assert page.customer_count == 40 and len(page.customers) == CUSTOMERS_PER_PAGE and len(page.upgrades) == 40
    assert len(large) == len(small) <= 15


def test_the_releases_links_are_kept_until_the_next_change(release, older_release, many_fixed, manager):
    from defects.services.changes import defect_update

    many_fixed(release, 0, 3)
    assert len(release_report(release).defects) == 3
    with CaptureQueriesContext(connection) as warm:
        assert len(release_report(release).defects) == 3
    assert not [q for q in warm.captured_queries if '"defects_ticketdefectlink"."ticket_id"' in q["sql"]]

    # A change through a service writes an audit row: the next report reads the links again.
    moved = Defect.objects.get(key="DEF-Q1")
    defect_update(defect=moved, actor=manager, channel=Channel.WEB, fixed_in_release=older_release)
    assert [f.key for f in release_report(release).defects] == ["DEF-Q0", "DEF-Q2"]
    # So does a link written without an audit row (the newest link is part of the key).
    many_fixed(release, 3, 1)
    assert len(release_report(release).defects) == 3
