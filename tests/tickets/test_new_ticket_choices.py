"""The new-ticket form offers the chosen customer's own contacts and a product's own components and versions."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket

pytestmark = pytest.mark.django_db


def _select(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return select.group(0)


def _options(html: str, name: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"(?: data-parent="(\d+)")?', _select(html, name))


def test_components_and_versions_name_the_product_they_belong_to(as_user, agent, product, team):
    other_product = Product.objects.create(name="Portal", code="portal", default_team=team)
    parts = Component.objects.create(product=product, name="Invoices")
    other_parts = Component.objects.create(product=other_product, name="Login")
    version = ProductVersion.objects.create(product=other_product, name="5.1")

    html = as_user(agent).get("/tickets/new/").content.decode()
    assert (str(parts.pk), str(product.pk)) in _options(html, "component")
    assert (str(other_parts.pk), str(other_product.pk)) in _options(html, "component")
    assert (str(version.pk), str(other_product.pk)) in _options(html, "version")
    assert 'src="/static/js/dependent-choices.js"' in html


def test_the_blank_form_offers_no_contact_and_fetches_the_chosen_customers(as_user, agent, customer):
    Contact.objects.create(customer=customer, name="Ann", email="ann@example.com")

    html = as_user(agent).get("/tickets/new/").content.decode()
    select = _select(html, "contact")
    assert _options(html, "contact") == [("", "")] and ">No contact</option>" in select
    # htmx asks for the contacts again whenever another customer is chosen.
    assert 'hx-get="/tickets/contacts/"' in select and 'hx-include="#id_customer"' in select
    assert 'hx-trigger="input changed delay:300ms from:#id_customer, change from:#id_customer"' in select
    # The customer is typed, with suggestions: no list of every customer either.
    customer_input = re.search(r'<input[^>]*name="customer"[^>]*>', html).group(0)
    assert 'id="id_customer"' in customer_input and 'hx-get="/tickets/customers/"' in customer_input
    assert customer.name not in html.replace(customer_input, "")


def test_the_contact_choices_are_the_customers_own(as_user, agent, customer, other_customer):
    ann = Contact.objects.create(customer=customer, name="Ann <Admin>", email="ann@example.com")
    Contact.objects.create(customer=other_customer, name="Bob", email="bob@example.com")

    answer = as_user(agent).get("/tickets/contacts/", {"customer": customer.pk})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert re.findall(r'<option value="([^"]*)"', html) == ["", str(ann.pk)]
    assert "Ann &lt;Admin&gt; &lt;ann@example.com&gt;" in html and "Bob" not in html
    by_name = as_user(agent).get("/tickets/contacts/", {"customer": customer.name.upper()}).content.decode()
    assert re.findall(r'<option value="([^"]*)"', by_name) == ["", str(ann.pk)]
    for nobody in ("", "No such customer", "-1", "9" * 40):
        assert re.findall(r'<option value="([^"]*)"', as_user(agent).get(
            "/tickets/contacts/", {"customer": nobody}).content.decode()) == [""]


def test_only_the_help_desk_may_list_a_customers_contacts(client, as_user, engineer, customer):
    Contact.objects.create(customer=customer, name="Ann", email="ann@example.com")
    assert client.get("/tickets/contacts/", {"customer": customer.pk}).status_code == 302
    assert as_user(engineer).get("/tickets/contacts/", {"customer": customer.pk}).status_code == 403


def test_a_form_sent_back_offers_the_chosen_customers_contacts(as_user, agent, customer, other_customer):
    ann = Contact.objects.create(customer=customer, name="Ann", email="ann@example.com")
    Contact.objects.create(customer=other_customer, name="Bob", email="bob@example.com")

    # No subject: the form comes back, with the contact still chosen among the customer's own.
    for typed in (customer.pk, customer.name):
        answer = as_user(agent).post("/tickets/new/", {"customer": typed, "contact": ann.pk})
        assert answer.status_code == 400
        html = answer.content.decode()
        select = _select(html, "contact")
        assert f'<option value="{ann.pk}" selected>Ann &lt;ann@example.com&gt;</option>' in select
        assert "Bob" not in select and f'value="{customer.name}"' in html


def test_a_ticket_is_made_for_the_customer_typed_by_name(as_user, agent, customer, product):
    ann = Contact.objects.create(customer=customer, name="Ann", email="ann@example.com")
    answer = as_user(agent).post("/tickets/new/", {
        "subject": "Export fails", "customer": customer.name.lower(), "contact": ann.pk, "product": product.pk,
    })
    assert answer.status_code == 302
    assert Ticket.objects.get(subject="Export fails").customer == customer


def test_a_name_that_names_no_customer_or_several_is_said_beside_the_field(as_user, agent, customer, product):
    Customer.objects.create(name="Initech East")
    Customer.objects.create(name="Initech West")
    for typed, said in (("Umbrella", "No customer is called"), ("Initech", "Several customers match")):
        answer = as_user(agent).post("/tickets/new/", {"subject": "Broken", "customer": typed,
                                                       "product": product.pk})
        assert answer.status_code == 400 and said in answer.content.decode()
    assert not Ticket.objects.exists()


def test_the_page_reads_the_same_however_many_contacts_there_are(as_user, agent, customer):
    user = as_user(agent)

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = user.get("/tickets/new/").content.decode()
        return len(captured), html

    before, _ = page()
    Contact.objects.bulk_create(
        Contact(customer=Customer.objects.create(name=f"Customer {n}"), name=f"Person {n}",
                email=f"p{n}@example.com") for n in range(30)
    )
    after, html = page()
    assert after == before and "Person 1" not in html


def test_the_server_still_refuses_another_customers_contact(as_user, agent, customer, other_customer, product):
    theirs = Contact.objects.create(customer=other_customer, name="Bob", email="bob@example.com")
    response = as_user(agent).post("/tickets/new/", {
        "subject": "Broken", "customer": customer.pk, "contact": theirs.pk, "product": product.pk,
    })
    assert response.status_code == 400
    assert "does not work for" in response.content.decode()
