import pytest

from core.audit import audit_history
from core.models import Channel
from tests.querycount import get_query_count
from tickets.models import Component, Contact, Customer, Product, ProductVersion

pytestmark = pytest.mark.django_db

ROLES = ["agent", "engineer", "manager"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_customers_with_their_contacts(api, request, contact, role):
    response = api(request.getfixturevalue(role)).get("/api/customers/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["name"] == "Acme Corp"
    assert row["contacts"] == [{"id": contact.pk, "name": contact.name, "email": contact.email, "phone": ""}]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_products_with_components_and_versions(api, request, product, component, version, team, role):
    response = api(request.getfixturevalue(role)).get(f"/api/products/{product.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "bill"
    assert body["default_team_name"] == team.name
    assert body["components"] == [{"id": component.pk, "name": "Invoices"}]
    assert body["versions"] == [{"id": version.pk, "name": "2.3.1"}]


@pytest.mark.parametrize("path", ["/api/customers/", "/api/products/"])
def test_outsiders_are_refused_and_anonymous_users_must_log_in(api, outsider, path):
    assert api(outsider).get(path).status_code == 403
    assert api(None).get(path).status_code in (401, 403)


def test_a_manager_adds_a_customer_and_the_change_is_audited(api, manager):
    response = api(manager).post("/api/customers/", {"name": "Initech"}, format="json")
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(name="Initech")
    assert response.json() == {
        "id": customer.pk, "name": "Initech", "tier": "standard", "portal_enabled": False, "portal_scope": "own",
        "contacts": [],
    }
    assert audit_history(customer).filter(action="created", actor=manager, channel=Channel.API).exists()


def test_renaming_a_customer_records_old_and_new(api, manager, customer):
    response = api(manager).patch(f"/api/customers/{customer.pk}/", {"name": "Acme Inc"}, format="json")
    assert response.status_code == 200
    assert audit_history(customer).filter(field="name", old="Acme Corp", new="Acme Inc", channel=Channel.API).exists()


@pytest.mark.parametrize("role", ["agent", "engineer"])
def test_agents_and_engineers_cannot_change_the_catalogue(api, request, customer, product, role):
    client = api(request.getfixturevalue(role))
    assert client.post("/api/customers/", {"name": "Initech"}, format="json").status_code == 403
    assert client.patch(f"/api/products/{product.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"/api/customers/{customer.pk}/").status_code == 403
    assert not Customer.objects.filter(name="Initech").exists()
    product.refresh_from_db()
    assert product.name == "Billing"


def test_a_duplicate_customer_name_is_a_400(api, manager, customer):
    response = api(manager).post("/api/customers/", {"name": "Acme Corp"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_a_customer_with_tickets_cannot_be_deleted(api, manager, ticket, customer):
    response = api(manager).delete(f"/api/customers/{customer.pk}/")
    assert response.status_code == 409
    assert "tickets" in response.json()["detail"]
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not audit_history(customer).filter(action="deleted").exists()


def test_a_customer_without_tickets_is_deleted_and_audited(api, manager, other_customer):
    pk = other_customer.pk
    assert api(manager).delete(f"/api/customers/{pk}/").status_code == 204
    assert not Customer.objects.filter(pk=pk).exists()
    assert audit_history(other_customer).filter(action="deleted", actor=manager).exists()


def test_a_manager_adds_a_product_with_a_default_team(api, manager, other_team):
    response = api(manager).post(
        "/api/products/", {"name": "CRM", "code": "crm", "default_team": other_team.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Product.objects.get(code="crm").default_team == other_team
    assert response.json()["components"] == []


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": "CRM", "code": "not a slug!"}, "code"),
        ({"name": "CRM", "code": "crm", "default_team": 999999}, "default_team"),
    ],
)
def test_bad_product_input_is_a_400_by_field(api, manager, data, field):
    response = api(manager).post("/api/products/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Product.objects.exists()


def _customers(start: int, count: int) -> None:
    for n in range(start, start + count):
        customer = Customer.objects.create(name=f"Customer {n:02d}")
        Contact.objects.create(customer=customer, name="Pat", email=f"pat{n}@example.com")


def _products(start: int, count: int, team) -> None:
    for n in range(start, start + count):
        product = Product.objects.create(name=f"Product {n:02d}", code=f"p{n}", default_team=team)
        Component.objects.create(product=product, name="Core")
        ProductVersion.objects.create(product=product, name="1.0")


def test_the_customer_list_costs_the_same_queries_for_3_or_25_rows(agent):
    _customers(0, 3)
    few = get_query_count(agent, "/api/customers/", expect_rows=3)
    _customers(3, 22)
    assert get_query_count(agent, "/api/customers/", expect_rows=25) == few


def test_the_product_list_costs_the_same_queries_for_3_or_25_rows(agent, team):
    _products(0, 3, team)
    few = get_query_count(agent, "/api/products/", expect_rows=3)
    _products(3, 22, team)
    assert get_query_count(agent, "/api/products/", expect_rows=25) == few
