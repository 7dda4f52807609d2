import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from defects.models import Attachment, Defect
from tests.factories import escalate
from tickets.models import Product

pytestmark = pytest.mark.django_db

LIST = reverse("defects:list")


def detail(defect) -> str:
    return reverse("defects:detail", args=[defect.pk])


def test_the_defect_list_shows_severity_status_team_and_unrouted(client, agent, engineer, make_ticket):
    routed = escalate(make_ticket(), agent, title="Routed problem")
    unowned = Product.objects.create(name="Labs", code="labs")
    unrouted = escalate(make_ticket(product=unowned), agent, title="Nobody owns this")
    client.force_login(engineer)

    response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert [row["key"] for row in response.context["page"].object_list] == [routed.key, unrouted.key]
    routed_row = next(row for row in html.split("<tr>") if "Routed problem" in row)
    assert "Billing engineering" in routed_row and 'badge sev-S2">S2<' in routed_row
    unrouted_row = next(row for row in html.split("<tr>") if "Nobody owns this" in row)
    assert "Unrouted" in unrouted_row


def test_a_defect_list_row_links_to_the_defect_with_its_component_and_planned_release(
    client, agent, make_ticket, component, release
):
    defect = escalate(make_ticket(), agent, title="Totals <wrong>", component=component)
    Defect.objects.filter(pk=defect.pk).update(planned_release=release)
    client.force_login(agent)

    html = client.get(LIST).content.decode()

    row = html.split(f'<a href="{detail(defect)}">{defect.key}</a>', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="{detail(defect)}">Totals &lt;wrong&gt;</a>' in row
    assert 'Billing <span class="muted">/ Invoices</span>' in row
    assert '<span class="badge eng-new">New</span>' in row and '<td class="nowrap">2.4.0</td>' in row


@pytest.mark.parametrize(
    "query_for,shown",
    [
        (lambda team, crm: {"team": team.pk}, "Billing problem"),
        (lambda team, crm: {"team": "unrouted"}, "CRM problem"),
        (lambda team, crm: {"severity": "S4"}, "CRM problem"),
        (lambda team, crm: {"status": "triage"}, "CRM problem"),
        (lambda team, crm: {"product": crm.pk}, "CRM problem"),
    ],
)
def test_the_defect_list_filters_by_team_severity_status_and_product(
    client, agent, make_ticket, team, query_for, shown
):
    crm = Product.objects.create(name="CRM", code="crm")
    escalate(make_ticket(), agent, title="Billing problem")
    other = escalate(make_ticket(product=crm), agent, title="CRM problem", impact="single_user", urgency="workaround")
    Defect.objects.filter(pk=other.pk).update(status=Defect.Status.TRIAGE)
    client.force_login(agent)

    titles = [row["title"] for row in client.get(LIST, query_for(team, crm)).context["page"].object_list]

    assert titles == [shown]


def test_the_defect_list_runs_as_many_queries_for_30_defects_as_for_3(client, agent, make_ticket, release):
    def make(count):
        for n in range(count):
            defect = escalate(make_ticket(), agent, title=f"Problem {n}")
            Defect.objects.filter(pk=defect.pk).update(planned_release=release)

    client.force_login(agent)
    make(3)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    make(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)

    assert len(response.context["page"].object_list) == 30
    assert len(many.captured_queries) == len(few.captured_queries) <= 12


def test_the_defect_page_shows_every_structured_field(client, agent, engineer, make_ticket, version, component):
    defect = escalate(
        make_ticket(), agent, title="Totals off by a cent", version=version, component=component,
        expected_result="Total 10.00", actual_result="Total 9.99", environment="Postgres 16",
        description="Rounding *happens* twice",
    )
    client.force_login(engineer)

    html = client.get(detail(defect)).content.decode()

    for text in ("Totals off by a cent", "<li>Open a 500-line invoice</li>", "Total 10.00", "Total 9.99",
                 "Postgres 16", "Rounding <em>happens</em> twice", "2.3.1", "Invoices", "A whole customer",
                 "Work is degraded", "S2 - major", "Billing engineering", "Not planned"):
        assert text in html
    assert 'class="reason"' not in html


def test_an_overridden_severity_shows_the_help_desks_reason(client, agent, ticket):
    defect = escalate(ticket, agent, severity="S1", severity_reason="Month-end billing is blocked")
    client.force_login(agent)

    html = client.get(detail(defect)).content.decode()

    severity = html.split('id="severity">', 1)[1].split("</dd>", 1)[0]
    assert "S1 - critical" in severity
    assert "Month-end billing is blocked" in severity


def test_the_defect_page_lists_linked_tickets_with_their_customers_and_attachments(
    client, agent, make_ticket, other_customer, settings, tmp_path
):
    from core.models import Channel
    from tickets.services.escalation import ticket_link_defect

    settings.MEDIA_ROOT = tmp_path
    first = make_ticket()
    defect = escalate(first, agent)
    second = make_ticket(customer=other_customer)
    ticket_link_defect(ticket=second, defect=defect, actor=agent, channel=Channel.WEB)
    attachment = Attachment.objects.create(
        defect=defect, file=ContentFile(b"trace", name="t"), name="trace.log", content_type="text/plain", size=5
    )
    client.force_login(agent)

    html = client.get(detail(defect)).content.decode()

    for ticket, customer in ((first, "Acme Corp"), (second, "Globex")):
        row = next(row for row in html.split("<tr>") if ticket.number in row)
        assert customer in row
    assert f'href="{reverse("defects:attachment", args=[attachment.pk])}">trace.log</a>' in html
    assert "2 / 2" in html


def test_an_unrouted_defect_says_so(client, agent, make_ticket):
    defect = escalate(make_ticket(product=Product.objects.create(name="Labs", code="labs")), agent)
    client.force_login(agent)

    assert 'id="team">Unrouted<' in client.get(detail(defect)).content.decode()


def test_defect_pages_refuse_outsiders_and_send_anonymous_visitors_to_log_in(client, agent, outsider, ticket):
    defect = escalate(ticket, agent)
    for url in (LIST, detail(defect)):
        assert client.get(url).status_code == 302
    client.force_login(outsider)
    for url in (LIST, detail(defect)):
        assert client.get(url).status_code == 403


def test_an_unknown_defect_is_not_found(client, manager):
    client.force_login(manager)
    assert client.get(reverse("defects:detail", args=[999999])).status_code == 404


def test_a_linked_ticket_row_shows_its_link_status_linker_and_date(client, agent, make_ticket):
    from django.utils import timezone
    from django.utils.formats import date_format

    from defects.models import TicketDefectLink

    ticket = make_ticket(subject="Invoices <b>time out</b>")
    defect = escalate(ticket, agent)
    link = TicketDefectLink.objects.get(defect=defect, ticket=ticket)
    ticket.refresh_from_db()
    client.force_login(agent)

    html = client.get(detail(defect)).content.decode()

    row = next(row for row in html.split("<tr>") if ticket.number in row)
    assert f'<a href="{reverse("tickets:detail", args=[ticket.pk])}">{ticket.number}</a>' in row
    assert "Invoices &lt;b&gt;time out&lt;/b&gt;" in row
    assert f'<span class="badge hd-{ticket.status}">{ticket.get_status_display()}</span>' in row
    assert f"<td>{agent.get_username()}</td>" in row
    assert date_format(timezone.localtime(link.linked_at), "j M Y") in row


def test_the_defect_page_runs_as_many_queries_for_30_linked_tickets_as_for_2(
    client, agent, make_ticket, other_customer
):
    from tests.factories import link

    defect = escalate(make_ticket(), agent)
    link(make_ticket(customer=other_customer), defect, agent)
    client.force_login(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail(defect)).status_code == 200
        return len(captured)

    few = queries()
    for i in range(28):
        link(make_ticket(subject=f"More {i}"), defect, agent)
    assert queries() == few
    # 25 a page, oldest link first: a defect many customers hit has thousands.
    first = client.get(detail(defect)).content.decode()
    assert first.count('class="badge hd-') == 25 and "Page 1 of 2" in first and "(30)" in first
    assert "More 22<" in first and "More 23<" not in first
    rest = client.get(detail(defect), {"page": 2}).content.decode()
    assert rest.count('class="badge hd-') == 5 and "More 23<" in rest and "More 27<" in rest


def test_a_long_thread_shows_its_newest_comments_and_links_to_earlier_ones(
    client, agent, engineer, make_ticket, monkeypatch
):
    from defects import selectors
    from defects.services.comments import comment_add

    monkeypatch.setattr(selectors, "THREAD_SHOWN", 3)
    defect = escalate(make_ticket(), agent)
    for i in range(5):
        comment_add(actor=engineer, channel="web", defect=defect, body=f"Note number {i}", visibility="shared")
    client.force_login(engineer)

    newest = client.get(detail(defect)).content.decode()
    assert "Note number 2" in newest and "Note number 4" in newest and "Note number 1" not in newest
    assert '<a href="?thread=2#thread">Earlier comments</a>' in newest and "Later comments" not in newest
    earlier = client.get(detail(defect), {"thread": 2}).content.decode()
    assert "Note number 0" in earlier and "Note number 1" in earlier and "Note number 2" not in earlier
    assert '<a href="?thread=1#thread">Later comments</a>' in earlier and "Earlier comments" not in earlier
    for nonsense in ("0", "-1", "x", "9" * 30):
        assert "Note number 4" in client.get(detail(defect), {"thread": nonsense}).content.decode()
    beyond = client.get(detail(defect), {"thread": 9}).content.decode()
    assert "No comments this far back." in beyond and "No comments yet." not in beyond
    assert '<a href="?thread=8#thread">Later comments</a>' in beyond
    # A comment posted through htmx comes back in the newest page of the thread.
    answer = client.post(f"/defects/{defect.pk}/comments/", {"body": "Fresh", "visibility": "shared"},
                         HTTP_HX_REQUEST="true")
    assert "Fresh" in answer.content.decode() and "Note number 1" not in answer.content.decode()
