import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defects.models import Defect
from defects.severity import Impact, Urgency
from releases.models import Release
from tests.factories import add_twin, connect, escalate, link, move

pytestmark = pytest.mark.django_db
S = Defect.Status
URL = "/defects/queue/"


def keys_on(response) -> list[str]:
    return re.findall(r'id="row-(DEF-\d+)"', response.content.decode())


def test_the_queue_defaults_to_my_teams_open_defects(as_user, engineer, make_ticket, agent, other_team, product):
    mine = escalate(make_ticket(), agent, title="Mine")
    theirs = escalate(make_ticket(), agent, title="Theirs")
    Defect.objects.filter(pk=theirs.pk).update(team=other_team)
    closed = escalate(make_ticket(), agent, title="Closed")
    move(closed, S.WONT_FIX, engineer, reason="No")

    response = as_user(engineer).get(URL)
    assert response.status_code == 200
    assert keys_on(response) == [mine.key]

    everything = as_user(engineer).get(URL, {"team": "", "status": ""})
    assert set(keys_on(everything)) == {mine.key, theirs.key, closed.key}


def test_rows_sort_by_severity_then_customers_then_tickets_then_age(
    as_user, engineer, make_ticket, agent, other_customer
):
    old_s3 = escalate(make_ticket(), agent, title="Old S3", impact=Impact.SINGLE_USER, urgency=Urgency.DEGRADED)
    new_s3_two_tickets = escalate(
        make_ticket(), agent, title="S3 two", impact=Impact.SINGLE_USER, urgency=Urgency.DEGRADED
    )
    link(make_ticket(), new_s3_two_tickets, agent)
    s2 = escalate(make_ticket(), agent, title="S2", impact=Impact.ENTIRE_CUSTOMER, urgency=Urgency.DEGRADED)
    s2_two_customers = escalate(
        make_ticket(), agent, title="S2 wide", impact=Impact.SINGLE_USER, urgency=Urgency.DEGRADED
    )
    Defect.objects.filter(pk=s2_two_customers.pk).update(severity="S2", customer_count=2)

    assert keys_on(as_user(engineer).get(URL)) == [
        s2_two_customers.key, s2.key, new_s3_two_tickets.key, old_s3.key
    ]


def test_filters_narrow_the_queue(as_user, engineer, make_ticket, agent, component):
    with_component = escalate(make_ticket(), agent, title="In invoices", component=component)
    escalate(make_ticket(), agent, title="Elsewhere")
    client = as_user(engineer)
    mine_in_component = {"team": "mine", "status": "open", "component": component.pk}
    assert keys_on(client.get(URL, mine_in_component)) == [with_component.key]
    assert keys_on(client.get(URL, {"team": "mine", "status": "open", "severity": "S1"})) == []
    assert len(keys_on(client.get(URL, {"team": "mine", "status": "new"}))) == 2


def test_a_row_shows_impact_status_planned_release_and_ticket_links(as_user, engineer, ticket, agent, release):
    defect = escalate(ticket, agent)
    Defect.objects.filter(pk=defect.pk).update(planned_release=release)
    html = as_user(engineer).get(URL).content.decode()
    assert defect.title in html
    assert f'href="/tickets/{ticket.pk}/">{ticket.number}</a>' in html
    assert "2.4.0 <span class=\"muted\">(estimate)</span>" in html


def row_of(html: str, key: str) -> str:
    return html.split(f'<tr id="row-{key}">', 1)[1].split("</tr>", 1)[0]


def test_a_row_names_its_first_three_tickets_and_counts_the_others(as_user, engineer, make_ticket, agent):
    first = make_ticket(subject="first")
    defect = escalate(first, agent)
    later = [make_ticket(subject=f"later {i}") for i in range(4)]
    for ticket in later:
        link(ticket, defect, agent)

    row = row_of(as_user(engineer).get(URL).content.decode(), defect.key)

    assert re.findall(r'<a href="/tickets/(\d+)/">', row) == [str(t.pk) for t in (first, *later[:2])]
    assert f'<a href="/tickets/{first.pk}/">{first.number}</a>, ' in row
    assert f'<a class="muted" href="/defects/{defect.pk}/">+2 more</a>' in row
    assert '<td class="num">5</td>' in row


def test_a_row_with_few_tickets_names_them_all(as_user, engineer, make_ticket, agent):
    first, second = make_ticket(subject="first"), make_ticket(subject="second")
    defect = escalate(first, agent)
    link(second, defect, agent)

    row = row_of(as_user(engineer).get(URL).content.decode(), defect.key)

    names = f'<a href="/tickets/{first.pk}/">{first.number}</a>, <a href="/tickets/{second.pk}/">{second.number}</a>'
    assert f"{names}</td>" in row
    assert "more</a>" not in row


def test_a_row_shows_age_links_and_its_twins_in_trackers(as_user, engineer, ticket, agent):
    from django.utils import timezone
    from django.utils.timesince import timesince

    from core.dates import format_moment

    defect = escalate(ticket, agent)
    created = timezone.now() - timezone.timedelta(days=40)
    Defect.objects.filter(pk=defect.pk).update(created_at=created)
    jira = connect(name="Jira", kind="jira", base_url="https://jira.example", token="t", project="BILL")
    add_twin(defect, jira, external_id="10001", key="BILL-7", url="https://jira.example/browse/BILL-7")

    row = row_of(as_user(engineer).get(URL).content.decode(), defect.key)

    assert f'<a href="/defects/{defect.pk}/">{defect.key}</a>' in row
    assert '<br><a class="muted" href="https://jira.example/browse/BILL-7" rel="noopener noreferrer">BILL-7</a>' in row
    assert f'title="{format_moment(created)}">{timesince(created)}</td>' in row
    assert '<span class="badge eng-new">New</span>' in row and "Billing · Billing engineering" in row


def test_row_values_are_escaped(as_user, engineer, make_ticket, agent, product):
    from tickets.models import Component

    odd = Component.objects.create(product=product, name="<b>Tax</b>")
    defect = escalate(make_ticket(), agent, title='<script>alert("hi")</script> & more', component=odd)

    html = as_user(engineer).get(URL).content.decode()

    assert "<script>alert" not in html and "<b>Tax</b>" not in html
    row = row_of(html, defect.key)
    assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; more" in row
    assert "Billing / &lt;b&gt;Tax&lt;/b&gt; · " in row


def test_the_bulk_form_offers_the_planned_releases_of_the_products_shown(
    as_user, engineer, make_ticket, agent, product, release
):
    from tickets.models import Product

    escalate(make_ticket(), agent)
    crm = Product.objects.create(name="CRM", code="crm")
    Release.objects.create(product=crm, version="9.9")
    shipped = Release.objects.create(product=product, version="2.3.0")
    Release.objects.filter(pk=shipped.pk).update(status=Release.Status.RELEASED, released_at="2026-01-05T10:00:00Z")

    html = as_user(engineer).get(URL).content.decode()

    select = html.split('<select id="bulk_planned_release" name="planned_release">', 1)[1].split("</select>", 1)[0]
    assert select == f'<option value="" selected>—</option><option value="{release.pk}">Billing 2.4.0</option>'
    # The bulk form's fields have ids of their own: the filters have a team field too.
    assert '<label for="bulk_team">Team:</label>' in html and '<label for="id_team">Team:</label>' in html


def test_agents_and_outsiders_cannot_open_the_queue(as_user, client, agent, outsider):
    assert as_user(agent).get(URL).status_code == 403
    assert as_user(outsider).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bulk_assign_team_and_planned_release(as_user, engineer, make_ticket, agent, other_team, release):
    a, b = escalate(make_ticket(), agent, title="A"), escalate(make_ticket(), agent, title="B")
    client = as_user(engineer)
    response = client.post(
        "/defects/queue/bulk/",
        {"defects": [a.pk, b.pk], "action": "set_planned_release", "planned_release": release.pk},
    )
    assert response.status_code == 302
    assert set(Defect.objects.values_list("planned_release", flat=True)) == {release.pk}
    client.post("/defects/queue/bulk/", {"defects": [a.pk], "action": "assign_team", "team": other_team.pk})
    assert Defect.objects.get(pk=a.pk).team == other_team
    assert Defect.objects.get(pk=b.pk).team != other_team


def test_bulk_status_change_reports_each_row_it_refused(as_user, engineer, make_ticket, agent):
    fresh = escalate(make_ticket(), agent, title="Fresh")
    started = escalate(make_ticket(), agent, title="Started")
    move(started, S.TRIAGE, engineer)
    client = as_user(engineer)
    response = client.post(
        "/defects/queue/bulk/", {"defects": [fresh.pk, started.pk], "action": "change_status", "to": "triage"},
        follow=True,
    )
    html = response.content.decode()
    assert Defect.objects.get(pk=fresh.pk).status == S.TRIAGE
    assert f"{started.key}: {started.key} cannot move from Triage to Triage; allowed: In progress" in html
    assert "done for 1 defect." in html


def test_bulk_actions_need_a_selection_and_a_value(as_user, engineer, ticket, agent):
    defect = escalate(ticket, agent)
    html = as_user(engineer).post(
        "/defects/queue/bulk/", {"action": "assign_team"}, follow=True
    ).content.decode()
    assert "Select at least one defect." in html
    html = as_user(engineer).post(
        "/defects/queue/bulk/", {"defects": [defect.pk], "action": "change_status"}, follow=True
    ).content.decode()
    assert "New status: Choose a value for this action." in html
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


def test_agents_cannot_run_bulk_actions(as_user, agent, ticket):
    defect = escalate(ticket, agent)
    response = as_user(agent).post(
        "/defects/queue/bulk/", {"defects": [defect.pk], "action": "change_status", "to": "triage"}
    )
    assert response.status_code == 403
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


def test_bulk_redirects_back_only_to_this_site(as_user, engineer, ticket, agent, release):
    defect = escalate(ticket, agent)
    response = as_user(engineer).post(
        "/defects/queue/bulk/",
        {"defects": [defect.pk], "action": "set_planned_release", "planned_release": release.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/defects/queue/"


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"team": "", "status": "open"}).status_code == 200
    return len(queries.captured_queries)


def test_the_queue_costs_the_same_queries_for_3_or_30_defects(
    as_user, engineer, make_ticket, agent, other_customer, product
):
    release = Release.objects.create(product=product, version="3.0")

    def add(n):
        for i in range(n):
            defect = escalate(make_ticket(subject=f"t{i}"), agent, title=f"Problem {i}")
            link(make_ticket(subject=f"u{i}", customer=other_customer), defect, agent)
            Defect.objects.filter(pk=defect.pk).update(planned_release=release)

    client = as_user(engineer)
    add(3)
    few = _queue_queries(client)
    add(27)
    assert len(keys_on(client.get(URL, {"team": "", "status": "open"}))) == 30
    assert _queue_queries(client) == few


def test_the_queue_costs_the_same_queries_however_many_tickets_and_twins_rows_have(
    as_user, engineer, make_ticket, agent
):
    jira = connect(name="Jira", kind="jira", base_url="https://jira.example", token="t", project="BILL")
    client = as_user(engineer)
    escalate(make_ticket(subject="alone"), agent, title="Alone")
    few = _queue_queries(client)
    for i in range(6):
        defect = escalate(make_ticket(subject=f"t{i}"), agent, title=f"Busy {i}")
        for j in range(i):
            link(make_ticket(subject=f"t{i}-{j}"), defect, agent)
        add_twin(defect, jira, external_id=str(i), key=f"BILL-{i}", url=f"https://jira.example/BILL-{i}")
    html = client.get(URL, {"team": "", "status": "open"}).content.decode()
    assert len(keys_on(client.get(URL, {"team": "", "status": "open"}))) == 7
    assert html.count("BILL-") == 12 and "+2 more" in html
    assert _queue_queries(client) == few


def test_my_teams_covers_every_team_i_am_in_and_no_other(as_user, engineer, make_ticket, agent, team, other_team):
    from defects.models import Team

    third = Team.objects.create(name="Mobile")
    other_team.members.add(engineer)
    mine = escalate(make_ticket(), agent, title="Mine")
    platform = escalate(make_ticket(), agent, title="Platform's")
    mobile = escalate(make_ticket(), agent, title="Mobile's")
    unrouted = escalate(make_ticket(), agent, title="Unrouted")
    Defect.objects.filter(pk=platform.pk).update(team=other_team)
    Defect.objects.filter(pk=mobile.pk).update(team=third)
    Defect.objects.filter(pk=unrouted.pk).update(team=None)

    assert set(keys_on(as_user(engineer).get(URL))) == {mine.key, platform.key}


def test_an_engineer_in_no_team_has_an_empty_queue(as_user, engineer, make_ticket, agent, team):
    escalate(make_ticket(), agent, title="Someone's")
    team.members.remove(engineer)

    response = as_user(engineer).get(URL)
    assert response.status_code == 200
    assert keys_on(response) == []


def test_the_my_teams_queue_costs_the_same_queries_for_3_or_30_defects(
    as_user, engineer, make_ticket, agent, other_customer, product, other_team
):
    other_team.members.add(engineer)
    release = Release.objects.create(product=product, version="3.0")

    def add(n):
        for i in range(n):
            defect = escalate(make_ticket(subject=f"t{i}"), agent, title=f"Problem {i}")
            link(make_ticket(subject=f"u{i}", customer=other_customer), defect, agent)
            team = other_team if i % 2 else defect.team
            Defect.objects.filter(pk=defect.pk).update(planned_release=release, team=team)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured.captured_queries)

    client = as_user(engineer)
    add(3)
    few = queries()
    add(27)
    assert len(keys_on(client.get(URL))) == 30
    assert queries() == few


def test_row_ages_read_as_timesince_writes_them():
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.timesince import timesince

    from core.dates import age_strings

    now, ages = timezone.now(), age_strings()
    for minutes in (0, 1, 59, 61, 60 * 24, 60 * 24 * 9, 60 * 24 * 40, 60 * 24 * 400, 60 * 24 * 800 + 7):
        created = now - timedelta(minutes=minutes)
        # Twice: the second answer for a count comes from the page's own table.
        assert timesince(created, now, time_strings=ages) == timesince(created, now)
        assert timesince(created, now, time_strings=ages) == timesince(created, now)


def test_a_bulk_selection_with_an_id_too_large_for_the_database_is_a_form_error(
    as_user, engineer, ticket, agent, other_team
):
    defect = escalate(ticket, agent)
    client = as_user(engineer)
    client.raise_request_exception = False
    response = client.post(
        "/defects/queue/bulk/",
        {"defects": [defect.pk, "9" * 25], "action": "assign_team", "team": other_team.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Select a valid choice. {'9' * 25} is not one of the available choices." in response.content.decode()
    assert Defect.objects.get(pk=defect.pk).team != other_team
