"""End to end in a real browser: a manager ships a release, opens its report and downloads the CSV.

Chromium and its fixtures: tests/browser/conftest.py.
"""

import csv
import io
import re

import pytest

from core.models import Channel
from defects.models import Defect
from defects.services.changes import defect_update
from releases.models import Release
from tests.browser.conftest import ARTIFACTS
from tests.factories import escalate, move, walk
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_ships_a_release_opens_the_report_and_downloads_the_csv(
    page, live_server, log_in, manager, agent, engineer, release, make_ticket, contact
):
    from playwright.sync_api import expect

    ticket = make_ticket(contact=contact, subject="=SUM(1) export fails")
    defect = walk(escalate(ticket, agent), Defect.Status.IN_VERIFICATION, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    move(defect, Defect.Status.FIXED, engineer)

    log_in(manager, "/releases/")

    expect(page.get_by_role("heading", name="Releases")).to_be_visible()
    page.get_by_role("link", name="2.4.0", exact=True).click()
    page.get_by_role("link", name="Ship…").click()
    expect(page.get_by_role("heading", name="Ship Billing 2.4.0")).to_contain_text("2.4.0")
    expect(page.locator("main")).to_contain_text(defect.key)
    page.get_by_label("I confirm this release has shipped to customers").check()
    page.get_by_role("button", name="Ship 2.4.0").click()

    expect(page).to_have_url(re.compile(rf"/releases/{release.pk}/report/$"))
    expect(page.get_by_role("status").first).to_contain_text("Shipped Billing 2.4.0: 1 defect released")
    expect(page.locator("#report-defects")).to_contain_text(defect.key)
    expect(page.locator(f"#customer-{ticket.customer_id}")).to_contain_text("carol@acme.test")
    expect(page.locator(f"#customer-{ticket.customer_id}")).to_contain_text(ticket.number)
    # The upgrade advice is fetched once the page has loaded (htmx) and swapped in.
    expect(page.locator("#upgrade-advice-section")).to_contain_text("No customer reported a version older than 2.4.0")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "release-report.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "fixed-in-billing-2.4.0.csv"
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:3] == ["Customer", "Contacts", "Ticket"]
    assert row["Ticket"] == ticket.number
    assert row["Subject"] == "'=SUM(1) export fails"
    assert row["Defect"] == defect.key and row["Fixed in"] == "2.4.0"

    assert Release.objects.get(pk=release.pk).status == Release.Status.RELEASED
    assert Defect.objects.get(pk=defect.pk).status == Defect.Status.RELEASED
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_the_manager_reports_draw_four_charts_with_the_local_chart_library(
    page, live_server, log_in, manager, agent, make_ticket
):
    from playwright.sync_api import expect

    escalate(make_ticket(), agent)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(manager, "/releases/reports/")

    expect(page.get_by_role("heading", name="Manager reports")).to_be_visible()
    # With one open defect and one waiting ticket, two charts have data; the others say so.
    expect(page.locator(".charts .empty")).to_have_count(2)
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map(c => Chart.getChart(c).data.datasets.length)"
    )
    assert drawn == [4, 1]
    assert errors == []
    page.screenshot(path=str(ARTIFACTS / "manager-reports.png"), full_page=True)
