import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from defects.models import Defect
from tests.tickets.test_escalate import escalate
from tickets.models import Product

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:list")


def row_of(html: str, text: str) -> str:
    """The table row that contains `text`."""
    return next(row for row in html.split("<tr>") if text in row)


def make_escalated(make_ticket, agent, release, count: int) -> None:
    for n in range(count):
        defect = escalate(make_ticket(subject=f"Problem number {n}"), agent)
        Defect.objects.filter(pk=defect.pk).update(planned_release=release)


def test_each_row_shows_the_help_desk_status_and_the_engineering_status_with_its_key(
    client, agent, make_ticket
):
    escalated = make_ticket(subject="Invoices are blank")
    defect = escalate(escalated, agent)
    make_ticket(subject="Password reset mail is late")
    client.force_login(agent)

    response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    escalated_row = row_of(html, "Invoices are blank")
    assert "Awaiting engineering" in escalated_row
    assert 'class="badge eng-new">New<' in escalated_row
    assert f'href="{reverse("defects:detail", args=[defect.pk])}">{defect.key}</a>' in escalated_row
    assert "Acme Corp" in escalated_row and "Billing" in escalated_row
    quiet_row = row_of(html, "Password reset mail is late")
    assert "Not escalated" in quiet_row and ">New<" in quiet_row


@pytest.mark.parametrize(
    "query,shown,hidden",
    [
        ({"status": "awaiting_engineering"}, "Escalated one", "Quiet one"),
        ({"escalated": "yes"}, "Escalated one", "Quiet one"),
        ({"escalated": "no"}, "Quiet one", "Escalated one"),
        ({"q": "quiet"}, "Quiet one", "Escalated one"),
    ],
)
def test_the_list_filters_by_status_escalation_and_text(client, agent, make_ticket, query, shown, hidden):
    escalate(make_ticket(subject="Escalated one"), agent)
    make_ticket(subject="Quiet one")
    client.force_login(agent)

    html = client.get(LIST, query).content.decode()

    assert shown in html
    assert hidden not in html


def test_the_list_filters_by_customer_and_product(client, agent, make_ticket, other_customer, team):
    crm = Product.objects.create(name="CRM", code="crm", default_team=team)
    make_ticket(subject="Acme billing issue")
    make_ticket(subject="Globex billing issue", customer=other_customer)
    make_ticket(subject="Acme CRM issue", product=crm)
    client.force_login(agent)

    by_customer = client.get(LIST, {"customer": other_customer.pk}).content.decode()
    by_product = client.get(LIST, {"product": crm.pk}).content.decode()

    assert "Globex billing issue" in by_customer and "Acme billing issue" not in by_customer
    assert "Acme CRM issue" in by_product and "Acme billing issue" not in by_product


def test_an_unknown_customer_in_the_filters_is_reported_beside_the_field(client, agent, ticket):
    client.force_login(agent)

    response = client.get(LIST, {"customer": 999999})

    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert 'class="field has-error"' in response.content.decode()


def test_an_engineer_sees_only_escalated_tickets(client, agent, engineer, make_ticket):
    escalate(make_ticket(subject="Escalated one"), agent)
    make_ticket(subject="Quiet one")
    client.force_login(engineer)

    html = client.get(LIST).content.decode()

    assert "Escalated one" in html
    assert "Quiet one" not in html
    assert "New ticket" not in html


def test_the_list_shows_fifty_tickets_a_page(client, agent, make_ticket):
    for n in range(51):
        make_ticket(subject=f"Ticket {n}")
    client.force_login(agent)

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


def test_the_list_runs_as_many_queries_for_30_tickets_as_for_3(client, agent, make_ticket, release):
    client.force_login(agent)
    make_escalated(make_ticket, agent, release, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200

    make_escalated(make_ticket, agent, release, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)

    assert len(response.context["page"].object_list) == 30
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 12, [q["sql"][:90] for q in many.captured_queries]


def test_an_outsider_gets_403_and_an_anonymous_visitor_is_sent_to_log_in(client, outsider):
    anonymous = client.get(LIST)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))

    client.force_login(outsider)
    assert client.get(LIST).status_code == 403
