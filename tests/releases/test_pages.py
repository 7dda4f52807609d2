import csv
import io

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from core.models import Channel
from defects.models import Defect
from releases.models import Release, ReleaseNotice
from releases.services.ship import release_ship
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db


def test_the_release_list_groups_by_product_newest_version_first(client, agent, product):
    for version in ["2.9.0", "2.10.0", "2.9.1"]:
        Release.objects.create(product=product, version=version)
    client.force_login(agent)

    html = client.get(reverse("releases:list")).content.decode()

    assert html.index(">2.10.0<") < html.index(">2.9.1<") < html.index(">2.9.0<")
    assert "New release" not in html  # agents read, managers plan


def test_the_release_list_takes_the_same_queries_for_3_or_30_releases(
    client, manager, product, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    for n in range(3):
        Release.objects.create(product=product, version=f"1.{n}")
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("releases:list"))
    for n in range(3, 30):
        Release.objects.create(product=product, version=f"1.{n}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("releases:list")).status_code == 200
    assert len(large) == len(small)


def test_a_manager_plans_a_release_from_the_form(client, manager, product):
    client.force_login(manager)
    response = client.post(reverse("releases:create"), {"product": product.pk, "version": "3.0.0", "notes": "Q1"})
    release = Release.objects.get(version="3.0.0")
    assert response.status_code == 302 and response["Location"] == reverse("releases:detail", args=[release.pk])


def test_a_taken_version_shows_the_error_beside_the_field(client, manager, product, release):
    client.force_login(manager)
    response = client.post(reverse("releases:create"), {"product": product.pk, "version": "2.4.0"})
    assert response.status_code == 400
    assert "already has a release 2.4.0" in response.content.decode()
    assert Release.objects.count() == 1


def test_the_ship_page_shows_what_will_happen_and_needs_a_confirmation(
    client, manager, release, next_release, fixed_in, planned_for
):
    fixed = fixed_in(release)
    planned = planned_for(release)
    client.force_login(manager)
    url = reverse("releases:ship", args=[release.pk])

    html = client.get(url).content.decode()
    assert fixed.key in html and planned.key in html
    assert "Move them to 2.5.0" in html

    refused = client.post(url, {"move_unfixed_to": next_release.pk})
    assert refused.status_code == 400
    assert "Tick the box to confirm" in refused.content.decode()
    assert Release.objects.get(pk=release.pk).status == "planned"

    shipped = client.post(url, {"move_unfixed_to": next_release.pk, "confirm": "on"})
    assert shipped.status_code == 302 and shipped["Location"] == reverse("releases:report", args=[release.pk])
    assert Release.objects.get(pk=release.pk).status == "released"
    assert Defect.objects.get(pk=fixed.pk).status == Defect.Status.RELEASED
    assert Defect.objects.get(pk=planned.pk).planned_release == next_release


def test_the_ticket_page_says_the_planned_fix_slipped(client, agent, manager, release, planned_for):
    defect = planned_for(release)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    ticket = Ticket.objects.get(defect_links__defect=defect)
    client.force_login(agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "shipped without it" in html and "do not repeat the earlier estimate" in html


@pytest.mark.parametrize("who", ["agent", "engineer", "outsider"])
def test_only_managers_create_ship_notify_and_see_the_charts(request, client, release, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("releases:create")).status_code == 403
    assert client.get(reverse("releases:ship", args=[release.pk])).status_code == 403
    assert client.post(reverse("releases:ship", args=[release.pk]), {"confirm": "on"}).status_code == 403
    assert client.post(reverse("releases:notify", args=[release.pk])).status_code == 403
    assert client.get(reverse("releases:charts")).status_code == 403
    assert Release.objects.get(pk=release.pk).status == "planned"


def test_anonymous_visitors_are_sent_to_log_in(client, release):
    response = client.get(reverse("releases:report", args=[release.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_outsiders_cannot_read_the_report(client, outsider, release):
    client.force_login(outsider)
    assert client.get(reverse("releases:report", args=[release.pk])).status_code == 403


def test_the_report_page_lists_customers_contacts_and_downloads_csv(
    client, manager, release, fixed_in, make_ticket, contact, other_customer
):
    ticket = make_ticket(contact=contact, subject="@evil subject")
    fixed_in(release, ticket=ticket)
    fixed_in(release, ticket=make_ticket(customer=other_customer), title="Globex problem")
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    client.force_login(manager)
    url = reverse("releases:report", args=[release.pk])

    html = client.get(url).content.decode()
    assert "Acme Corp" in html and "carol@acme.test" in html and ticket.number in html
    assert "Not notified" in html and "Notify customers" in html

    only_globex = client.get(url, {"customer": other_customer.pk}).content.decode()
    assert "Globex problem" in only_globex and "carol@acme.test" not in only_globex

    response = client.get(url, {"format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="fixed-in-billing-2.4.0.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert {r[2] for r in rows[1:]} == {ticket.number, Ticket.objects.get(customer=other_customer).number}
    assert "'@evil subject" in [r[3] for r in rows]


def test_notifying_from_the_report_emails_once_and_shows_who_and_when(
    client, manager, release, fixed_in, make_ticket, contact, django_capture_on_commit_callbacks
):
    fixed_in(release, ticket=make_ticket(contact=contact))
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    client.force_login(manager)
    notify = reverse("releases:notify", args=[release.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(notify)
    assert response.status_code == 302
    assert response["Location"] == reverse("releases:report", args=[release.pk]) + "#outreach"
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(notify)
    assert len(mail.outbox) == 1
    html = client.get(reverse("releases:report", args=[release.pk])).content.decode()
    sent_at = ReleaseNotice.objects.get().sent_at
    assert "1</strong> of 1 contact notified" in html
    assert f"Notified <time datetime=\"{sent_at.replace(microsecond=0).isoformat()}\"" in html
    progress = client.get(reverse("releases:progress", args=[release.pk])).content.decode()
    assert "hx-get" not in progress  # nothing pending: the page stops polling


def test_the_report_page_takes_the_same_queries_for_2_or_40_defects_and_customers(
    client, manager, release, many_fixed
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    url = reverse("releases:report", args=[release.pk])
    many_fixed(release, 0, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    many_fixed(release, 2, 38)  # more customers than a page holds, and 40 version runs
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert "Bug 39" in html and "40 customers affected" in html
    assert len(large) == len(small)
    chosen = Customer.objects.get(name="Customer 7").pk
    with CaptureQueriesContext(connection) as filtered:
        client.get(url, {"customer": chosen, "page": "2"})
    # The chosen customer, looked up; the release's links and fixes, and the requests it
    # delivers, were kept from the request before (releases.services.report.fixes_and_links):
    # three queries fewer.
    assert len(filtered) == len(small) + 1 - 3
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(url, {"customer": chosen, "page": "2"})
    assert len(cold) == len(small) + 1


def test_the_report_page_shows_customers_a_page_at_a_time_by_name(client, manager, release, many_fixed):
    many_fixed(release, 0, 30)
    client.force_login(manager)
    url = reverse("releases:report", args=[release.pk])
    by_name = sorted((f"Customer {n}" for n in range(30)), key=str.lower)

    first = client.get(url).content.decode()
    assert "30 customers affected" in first and "1–25 of 30 customers" in first
    assert [name for name in by_name if f"<h3>{name}" in first] == by_name[:25]
    assert "c0@example.test" in first and "Page 1 of 2" in first and "?page=2" in first

    last = client.get(url, {"page": 2}).content.decode()
    assert [name for name in by_name if f"<h3>{name}" in last] == by_name[25:]
    assert "26–30 of 30 customers" in last
    # Every defect stays in the table, on every page.
    assert all(f"Bug {n}<" in last for n in range(30))
    # Out of range: the last page.
    assert [name for name in by_name if f"<h3>{name}" in client.get(url, {"page": 9}).content.decode()] == by_name[25:]


def test_the_report_page_shows_fixes_a_page_at_a_time_and_keeps_the_customers_page(
    client, manager, release, many_fixed,
):
    from releases.services.report import FIXES_PER_PAGE

    many_fixed(release, 0, FIXES_PER_PAGE + 3)
    client.force_login(manager)
    url = reverse("releases:report", args=[release.pk])

    def fixes_table(html: str) -> str:
        return html.split('id="defects-heading"', 1)[1].split("</section>", 1)[0]

    first = fixes_table(client.get(url).content.decode())
    assert first.count('href="/defects/') == FIXES_PER_PAGE
    assert f"1–{FIXES_PER_PAGE} of {FIXES_PER_PAGE + 3} fixes" in first and "Page 1 of 2" in first
    assert "?fixes=2#defects-heading" in first

    # The fixes' page and the customers' page move apart: each link keeps the other.
    html = client.get(url, {"fixes": 2, "page": 2}).content.decode()
    rest = fixes_table(html)
    assert rest.count('href="/defects/') == 3 and "Page 2 of 2" in rest
    assert "?fixes=1&amp;page=2#defects-heading" in rest or "?page=2&amp;fixes=1#defects-heading" in rest
    assert "26–50 of 53 customers" in html
    # Every fix still counts: the heading's total and the CSV.
    assert f"{FIXES_PER_PAGE + 3} defects fixed" in html
    csv = client.get(url, {"format": "csv", "fixes": 2}).content.decode()
    assert all(f"DEF-Q{n}," in csv for n in range(FIXES_PER_PAGE + 3))

    for odd in ("x", "0", "99"):  # no number, or out of range: the nearest page
        answer = client.get(url, {"fixes": odd})
        assert answer.status_code == 200 and "Page " in fixes_table(answer.content.decode())


def test_the_report_page_counts_each_defects_tickets_and_customers_and_offers_only_affected_customers(
    client, agent, release, fixed_in, make_ticket, customer, other_customer
):
    bystander = Customer.objects.create(name="Initech")
    make_ticket(customer=bystander)
    defect = fixed_in(release, ticket=make_ticket(), also=[make_ticket(), make_ticket(customer=other_customer)])
    client.force_login(agent)

    html = client.get(reverse("releases:report", args=[release.pk])).content.decode()

    row = html[html.index(f">{defect.key}</a>"):]
    row = row[: row.index("</tr>")]
    assert row.endswith('<td class="num">3</td><td class="num">2</td>')
    assert f'<option value="{customer.pk}">Acme Corp</option>' in html
    assert f'<option value="{other_customer.pk}">Globex</option>' in html
    assert "Initech" not in html


def test_the_release_page_lists_fixed_and_planned_defects_and_offers_ship_to_managers_only(
    client, agent, manager, release, fixed_in, planned_for
):
    fixed = fixed_in(release)
    planned = planned_for(release)
    url = reverse("releases:detail", args=[release.pk])

    client.force_login(agent)
    html = client.get(url).content.decode()
    assert fixed.key in html and planned.key in html
    assert "Ship…" not in html

    client.force_login(manager)
    html = client.get(url).content.decode()
    assert reverse("releases:ship", args=[release.pk]) in html
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    html = client.get(url).content.decode()
    assert "Ship…" not in html and "by maya-manager" in html
    assert client.get(reverse("releases:ship", args=[release.pk])).status_code == 302


def test_the_report_page_loads_its_upgrade_advice_after_the_rest(client, manager, release, many_fixed):
    """The customers to tell come first; the advice arrives by its own request (htmx, on load)."""
    many_fixed(release, 0, 3)
    client.force_login(manager)
    advice_url = reverse("releases:advice", args=[release.pk])

    page = client.get(reverse("releases:report", args=[release.pk])).content.decode()
    chosen = Customer.objects.get(name="Customer 1").pk
    narrowed = client.get(reverse("releases:report", args=[release.pk]), {"customer": chosen}).content.decode()
    section = client.get(advice_url, headers={"HX-Request": "true"}).content.decode()
    alone = client.get(advice_url, {"customer": chosen}).content.decode()

    assert f'hx-get="{advice_url}"' in page and 'hx-trigger="load"' in page and 'id="upgrade-advice"' not in page
    assert f'hx-get="{advice_url}?customer={chosen}"' in narrowed
    assert section.startswith('<section class="card" id="upgrade-advice-section"') and "<html" not in section
    assert 'id="upgrade-advice"' in section and "Customer 0" in section
    assert "<html" in alone and "Upgrade advice for" in alone and "Customer 1" in alone and "Customer 0" not in alone


def test_the_upgrade_advice_needs_a_role_and_takes_the_same_queries_for_2_or_40_version_runs(
    client, outsider, manager, release, many_fixed
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("releases:advice", args=[release.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    many_fixed(release, 0, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(url, headers={"HX-Request": "true"})
    many_fixed(release, 2, 38)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert html.count("<tr>") == 40 + 1  # a row per version run, and the header
    assert len(large) == len(small)


def test_the_upgrade_advice_for_a_customer_it_does_not_concern_is_refused(client, manager, release, many_fixed):
    many_fixed(release, 0, 2)
    stranger = Customer.objects.create(name="Not affected")
    client.force_login(manager)
    url = reverse("releases:advice", args=[release.pk])
    for value in (stranger.pk, "not-a-number"):
        response = client.get(url, {"customer": value}, headers={"HX-Request": "true"})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()


def test_a_release_page_lists_its_fixes_a_page_at_a_time_with_the_same_queries(
    client, manager, release, many_fixed,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from releases.selectors import RELEASE_DEFECTS_PAGE

    client.force_login(manager)
    url = reverse("releases:detail", args=[release.pk])
    many_fixed(release, 0, 3)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    many_fixed(release, 3, RELEASE_DEFECTS_PAGE)
    with CaptureQueriesContext(connection) as large:
        first = client.get(url).content.decode()

    assert len(large) == len(small)
    shown = first.split('id="fixed-heading"', 1)[1].split("</section>", 1)[0]
    assert f"({RELEASE_DEFECTS_PAGE + 3})" in shown
    assert shown.count('href="/defects/') == RELEASE_DEFECTS_PAGE
    assert "Page 1 of 2" in shown and "?fixed=2#fixed-heading" in shown

    second = client.get(url, {"fixed": 2}).content.decode()
    rest = second.split('id="fixed-heading"', 1)[1].split("</section>", 1)[0]
    assert rest.count('href="/defects/') == 3 and "Page 2 of 2" in rest

    for odd in ("x", "0", "99"):  # a page that is no number, or out of range: the nearest page
        answer = client.get(url, {"fixed": odd})
        assert answer.status_code == 200 and "Page " in answer.content.decode()


@pytest.mark.parametrize("page", ["releases:detail", "releases:ship"])
def test_the_release_and_ship_pages_take_the_same_queries_for_2_or_6_defects_with_teams(
    client, manager, release, fixed_in, planned_for, page
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    url = reverse(page, args=[release.pk])
    made = [fixed_in(release), planned_for(release)]
    assert all(defect.team_id for defect in made)  # routed: each row names its team
    client.get(url)  # the session's first read
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    made += [fixed_in(release), fixed_in(release), planned_for(release), planned_for(release)]
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert len(large) == len(small)
    assert all(defect.key in html for defect in made)
    assert html.count("<td>Billing engineering</td>") == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_release_lists_open_planned_defects_are_counted_from_an_index_alone(release):
    # 160,000 defects name a planned release at a million tickets: a page's count of the open
    # ones read each of their rows (22 ms). The (planned release, status) index answers it alone.
    from django.db.models import Count

    counted = (
        Defect.objects.filter(planned_release__in=[release.pk], status__in=Defect.OPEN_STATUSES)
        .order_by().values("planned_release").annotate(n=Count("planned_release"))
    )
    sql, params = counted.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        for plan in ("seqscan", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{plan} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "defect_planned_status" in plan
