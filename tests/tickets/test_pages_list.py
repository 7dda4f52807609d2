import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import paginator
from defects.models import Defect
from tests.factories import escalate
from tickets.models import Customer, Product
from tickets.views import pages

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


def test_the_customer_filter_is_a_text_input_not_a_select_of_every_customer(client, agent, ticket, other_customer):
    client.force_login(agent)

    html = client.get(LIST).content.decode()

    assert '<input' in html and 'name="customer"' in html and 'list="id_customer-suggestions"' in html
    assert f'hx-get="{reverse("tickets:customer_suggestions")}"' in html
    assert '<select id="id_customer"' not in html
    assert f'<option value="{other_customer.pk}">' not in html


@pytest.mark.parametrize("typed", ["Globex", "globex", "lobe", "  Globex "])
def test_a_customer_is_found_by_its_name_a_part_of_it_or_any_case(
    client, agent, make_ticket, other_customer, typed
):
    make_ticket(subject="Acme billing issue")
    make_ticket(subject="Globex billing issue", customer=other_customer)
    client.force_login(agent)

    response = client.get(LIST, {"customer": typed})

    html = response.content.decode()
    assert response.context["form"].cleaned_data["customer"] == other_customer
    assert "Globex billing issue" in html and "Acme billing issue" not in html
    assert 'value="Globex"' in html


def test_a_customer_link_by_id_shows_the_customers_name_in_the_input(client, agent, ticket, other_customer):
    client.force_login(agent)

    html = client.get(LIST, {"customer": other_customer.pk}).content.decode()

    assert 'value="Globex"' in html
    assert f'value="{other_customer.pk}"' not in html


def test_a_name_that_several_customers_contain_asks_to_pick_one(client, agent, ticket, other_customer):
    Customer.objects.create(name="Globex Europe")
    client.force_login(agent)

    several = client.get(LIST, {"customer": "lob"})
    exact = client.get(LIST, {"customer": "globex"})

    assert "Several customers match" in several.content.decode()
    assert 'class="field has-error"' in several.content.decode()
    assert exact.context["form"].cleaned_data["customer"] == other_customer


def test_an_unknown_customer_name_is_reported_and_the_list_is_not_narrowed(client, agent, ticket):
    client.force_login(agent)

    response = client.get(LIST, {"customer": "Initech"})

    html = response.content.decode()
    assert "No customer is called “Initech”." in html
    assert ticket.subject in html


def test_customer_suggestions_list_matching_names_those_starting_with_the_text_first(client, agent):
    for name in ["Northwind & Co", "Contoso North", "Umbrella"]:
        Customer.objects.create(name=name)
    client.force_login(agent)

    html = client.get(reverse("tickets:customer_suggestions"), {"customer": "north"}).content.decode()

    assert html.strip() == '<option value="Northwind &amp; Co"></option><option value="Contoso North"></option>'
    assert client.get(reverse("tickets:customer_suggestions"), {"customer": " "}).content.decode().strip() == ""


def test_customer_suggestions_are_capped_and_need_a_role(client, agent, outsider):
    Customer.objects.bulk_create(Customer(name=f"Initech {n:02d}") for n in range(30))
    url = reverse("tickets:customer_suggestions")

    assert client.get(url, {"customer": "ini"}).status_code == 302
    client.force_login(outsider)
    assert client.get(url, {"customer": "ini"}).status_code == 403
    client.force_login(agent)
    html = client.get(url, {"customer": "ini"}).content.decode()
    assert html.count("<option") == pages.CUSTOMER_SUGGESTIONS
    assert 'value="Initech 00"' in html


def test_a_broad_search_stops_counting_early_and_says_more_than(client, agent, make_ticket, monkeypatch):
    monkeypatch.setattr(pages, "SEARCH_COUNT_CAP", 2)
    for n in range(4):
        make_ticket(subject=f"Export {n} fails")
    client.force_login(agent)

    searched = client.get(LIST, {"q": "export"}).content.decode()
    listed = client.get(LIST).content.decode()

    assert "More than 2 tickets match" in searched and "Export 3 fails" in searched
    assert "More than" not in listed and "About " not in listed and "4 tickets" in listed


def test_a_page_past_the_end_of_an_estimated_list_links_back_to_the_first(client, agent, ticket, monkeypatch):
    monkeypatch.setattr(paginator, "COUNT_CAP", 0)
    monkeypatch.setattr(paginator, "planner_estimate", lambda queryset: 500)
    client.force_login(agent)

    html = client.get(LIST, {"page": 3}).content.decode()

    assert "No tickets on this page" in html and "page=1" in html
    assert "No tickets match these filters." not in html


def test_each_row_links_its_ticket_and_its_current_defect(client, agent, make_ticket):
    ticket = make_ticket(subject="Twice escalated")
    first = escalate(ticket, agent)
    Defect.objects.filter(pk=first.pk).update(status=Defect.Status.RELEASED)
    second = escalate(ticket, agent)
    client.force_login(agent)

    row = row_of(client.get(LIST).content.decode(), "Twice escalated")

    assert f'<a href="{reverse("tickets:detail", args=[ticket.pk])}">{ticket.number}</a>' in row
    assert f'href="{reverse("defects:detail", args=[second.pk])}">{second.key}</a>' in row
    assert first.key not in row


def test_row_values_are_escaped(client, agent, make_ticket, customer):
    Customer.objects.filter(pk=customer.pk).update(name='Acme & "Sons" <Ltd>')
    make_ticket(subject="<script>alert('x')</script> in the subject")
    client.force_login(agent)

    html = client.get(LIST).content.decode()

    row = row_of(html, "in the subject")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; in the subject</a>" in row
    assert "<td>Acme &amp; &quot;Sons&quot; &lt;Ltd&gt;</td>" in row


def test_the_filter_fields_are_written_without_a_template_per_field(client, agent, make_ticket, product):
    from django.test.signals import template_rendered

    make_ticket()
    client.force_login(agent)
    rendered = []

    def seen(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        html = client.get(LIST, {"status": "open", "product": product.pk, "q": "pdf"}).content.decode()
    finally:
        template_rendered.disconnect(seen)

    assert "django/forms/field.html" not in rendered and "tickets/_field.html" not in rendered
    assert '<div class="field"><label for="id_q">Search:</label>\n<input type="text" name="q" value="pdf"' in html
    assert '<option value="open" selected>Open</option>' in html
    assert f'<option value="{product.pk}" selected>Billing</option>' in html


@pytest.mark.parametrize("typed", ["²", "¹²"])
def test_digits_that_are_not_an_id_are_read_as_a_name(client, agent, make_ticket, typed):
    make_ticket(subject="Acme billing issue")
    client.force_login(agent)

    response = client.get(LIST, {"customer": typed})

    assert response.status_code == 200
    assert "customer" in response.context["form"].errors  # no customer has that name: said, and not applied
