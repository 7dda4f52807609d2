"""The new-ticket form offers a customer's own contacts and a product's own components and versions."""

import re

import pytest

from tickets.models import Component, Contact, Product, ProductVersion

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"(?: data-parent="(\d+)")?', select.group(1))


def test_each_choice_names_the_customer_or_product_it_belongs_to(
    as_user, agent, customer, other_customer, product, team
):
    mine = Contact.objects.create(customer=customer, name="Ann", email="ann@example.com")
    theirs = Contact.objects.create(customer=other_customer, name="Bob", email="bob@example.com")
    other_product = Product.objects.create(name="Portal", code="portal", default_team=team)
    parts = Component.objects.create(product=product, name="Invoices")
    other_parts = Component.objects.create(product=other_product, name="Login")
    version = ProductVersion.objects.create(product=other_product, name="5.1")

    html = as_user(agent).get("/tickets/new/").content.decode()
    assert 'data-depends-on="customer"' in re.search(r'<select[^>]*name="contact"[^>]*>', html).group(0)
    assert set(_options(html, "contact")) >= {
        (str(mine.pk), str(customer.pk)), (str(theirs.pk), str(other_customer.pk)),
    }
    assert (str(parts.pk), str(product.pk)) in _options(html, "component")
    assert (str(other_parts.pk), str(other_product.pk)) in _options(html, "component")
    assert (str(version.pk), str(other_product.pk)) in _options(html, "version")
    assert 'src="/static/js/dependent-choices.js"' in html


def test_the_server_still_refuses_another_customers_contact(as_user, agent, customer, other_customer, product):
    theirs = Contact.objects.create(customer=other_customer, name="Bob", email="bob@example.com")
    response = as_user(agent).post("/tickets/new/", {
        "subject": "Broken", "customer": customer.pk, "contact": theirs.pk, "product": product.pk,
    })
    assert response.status_code == 400
    assert "does not work for" in response.content.decode()
