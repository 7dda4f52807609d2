import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defects.models import Defect
from handoff.models import Channel
from releases.models import Release, ReleaseNotice
from releases.services.export import csv_cell, report_csv
from releases.services.report import release_report
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
    assert {link.ticket.number for link in defect_row.report_links} == {first.number, second.number}
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
    links = {d.key: [link.ticket.customer_id for link in d.report_links] for d in report.defects}
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

    advice = {a.customer_name: (a.version, [d.key for d in a.gains]) for a in report.upgrades}
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

    groups = release_report(release).upgrade_groups

    assert [(g.version, g.customer_names) for g in groups] == [("2.3.0", ["Acme Corp", "Globex"])]
    assert len(groups[0].gains) == len(fixes)
    client.force_login(agent)
    page = client.get(f"/releases/{release.pk}/report/").content.decode()
    assert "Acme Corp, Globex" in page
    assert "and 2 more fixes" in page


def test_a_customer_counts_as_running_the_newest_version_it_reported(product, release, make_ticket, customer):
    old = ProductVersion.objects.create(product=product, name="2.9.0")
    new = ProductVersion.objects.create(product=product, name="2.10.0")
    make_ticket(version=old)
    make_ticket(version=new)
    late = Release.objects.create(product=product, version="2.10.1")
    assert [(a.customer_name, a.version) for a in release_report(late).upgrades] == [("Acme Corp", "2.10.0")]
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
    assert len(large) == len(small) <= 7


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
    row = dict(zip(rows[0], rows[1]))
    assert row["Customer"] == "'=cmd|'/C calc'!A0"
    assert row["Contacts"] == "'@mallory <m@evil.test>"
    assert row["Subject"] == "'-2+3 totals"
    assert row["Defect title"] == "'+SUM(1)"
    assert row["Fixed in"] == "2.4.0"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
