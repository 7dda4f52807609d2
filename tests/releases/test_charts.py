import json
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, Channel
from defects.models import Defect, Team, TicketDefectLink
from releases.models import Release
from releases.services.ship import release_ship
from releases.services.stats import (
    awaiting_engineering_by_age,
    fixed_per_release,
    median_days_to_fix,
    open_by_severity_and_team,
)
from tests.factories import escalate
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_fixed_per_release_counts_the_defects_of_each_shipped_release(
    product, release, next_release, manager, fixed_in
):
    fixed_in(release)
    fixed_in(release, title="Second")
    fixed_in(next_release)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    Release.objects.create(product=product, version="2.6.0")  # planned: not charted

    data = fixed_per_release()

    assert data["labels"] == ["Billing 2.4.0"]
    assert data["datasets"][0]["data"] == [2]


def test_open_defects_are_counted_by_team_and_severity(make_ticket, agent, team, engineer):
    escalate(make_ticket(), agent)  # S2, routed to the product's team
    escalate(make_ticket(), agent, impact="single_user", urgency="workaround")  # S4
    unrouted = escalate(make_ticket(), agent)
    Defect.objects.filter(pk=unrouted.pk).update(team=None)
    closed = escalate(make_ticket(), agent)
    Defect.objects.filter(pk=closed.pk).update(status=Defect.Status.WONT_FIX)

    data = open_by_severity_and_team()

    assert data["labels"] == [team.name, "Unrouted"]
    series = {d["label"]: d["data"] for d in data["datasets"]}
    assert series["S2 - major"] == [1, 1]
    assert series["S4 - minor"] == [1, 0]
    assert series["S1 - critical"] == [0, 0]


def _fixed(defect, *, escalated, fixed):
    Defect.objects.filter(pk=defect.pk).update(created_at=escalated, status=Defect.Status.FIXED)
    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Defect), object_id=defect.pk, object_repr=defect.key,
        channel=Channel.WEB, action="transition", field="status", old="in_verification", new="fixed", at=fixed,
    )


def test_median_days_to_fix_is_per_month_of_the_fix(make_ticket, agent):
    now = timezone.now().replace(day=15, hour=12, minute=0, second=0, microsecond=0)
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=10)
    for days in (2, 4, 9):
        _fixed(escalate(make_ticket(), agent), escalated=now - timedelta(days=days), fixed=now)
    for days in (1, 3):
        _fixed(escalate(make_ticket(), agent), escalated=last_month - timedelta(days=days), fixed=last_month)
    escalate(make_ticket(), agent)  # never fixed: not counted

    data = median_days_to_fix(now=now)

    assert data["labels"] == [last_month.strftime("%Y-%m"), now.strftime("%Y-%m")]
    assert data["datasets"][0]["data"] == [2.0, 4.0]


def test_tickets_awaiting_engineering_are_bucketed_by_time_since_escalation(make_ticket, agent):
    now = timezone.now()
    for hours in (2, 30, 24 * 5, 24 * 10, 24 * 40, 24 * 50):
        ticket = make_ticket()
        escalate(ticket, agent)
        TicketDefectLink.objects.filter(ticket=ticket).update(linked_at=now - timedelta(hours=hours))
    answered = make_ticket()
    escalate(answered, agent)
    Ticket.objects.filter(pk=answered.pk).update(status=Ticket.Status.OPEN)

    data = awaiting_engineering_by_age(now=now)

    assert data["labels"] == ["Under 1 day", "1-3 days", "3-7 days", "1-4 weeks", "Over 4 weeks"]
    assert data["datasets"][0]["data"] == [1, 1, 1, 1, 2]


def test_the_reports_page_draws_charts_from_local_files_with_embedded_data(client, manager, make_ticket, agent):
    escalate(make_ticket(), agent)
    client.force_login(manager)

    html = client.get(reverse("releases:charts")).content.decode()

    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert '<script id="chart-data" type="application/json">' in html
    assert "https://" not in html.split("<main", 1)[1]
    for name in ("fixed_per_release", "open_by_severity_and_team", "median_days_to_fix", "awaiting_by_age"):
        assert f'data-chart="{name}"' in html


def test_the_reports_page_takes_a_fixed_number_of_queries(client, manager, make_ticket, agent, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    escalate(make_ticket(), agent)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("releases:charts"))
    for n in range(10):
        escalate(make_ticket(), agent)
        Team.objects.create(name=f"Team {n}")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("releases:charts"))
    assert len(large) == len(small)


def test_the_reports_page_reuses_its_charts_until_the_next_change(client, manager, make_ticket, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    escalate(make_ticket(), agent)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("releases:charts"))
    with CaptureQueriesContext(connection) as again:
        client.get(reverse("releases:charts"))
    assert len(again) < len(first)  # the aggregates were not run again

    escalate(make_ticket(), agent)  # a change: its audit rows make the charts stale
    html = client.get(reverse("releases:charts")).content.decode()
    charts = json.loads(html.split('<script id="chart-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert sum(charts["open_by_severity_and_team"]["datasets"][1]["data"]) == 2
