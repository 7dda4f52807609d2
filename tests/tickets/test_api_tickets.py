import pytest

from core.audit import audit_history
from core.models import Channel
from tests.factories import escalate
from tests.querycount import get_query_count
from tickets.models import Component, Product, Ticket

pytestmark = pytest.mark.django_db


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_an_agent_lists_tickets_with_both_statuses(api, agent, make_ticket, release):
    plain = make_ticket(subject="Login page is slow")
    escalated = make_ticket()
    defect = escalate(escalated, agent)
    defect.planned_release = release
    defect.save()

    rows = {row["number"]: row for row in api(agent).get("/api/tickets/").json()["results"]}

    assert rows[plain.number]["escalated"] is False
    assert rows[plain.number]["engineering_status"] is None
    assert rows[escalated.number]["status"] == "awaiting_engineering"
    assert rows[escalated.number]["engineering_status"] == "new"
    assert rows[escalated.number]["planned_release"]["version"] == "2.4.0"
    assert rows[escalated.number]["defects"][0]["key"] == defect.key


def test_the_list_filters_by_status_customer_product_escalated_and_search(
    api, agent, make_ticket, other_customer
):
    other_product = Product.objects.create(name="CRM", code="crm")
    acme = make_ticket(subject="Invoice totals are wrong")
    globex = make_ticket(subject="Reminder emails missing", customer=other_customer)
    crm = make_ticket(subject="Leads vanish", product=other_product)
    escalate(acme, agent)
    client = api(agent)

    assert numbers(client.get("/api/tickets/", {"status": "awaiting_engineering"})) == {acme.number}
    assert numbers(client.get("/api/tickets/", {"customer": other_customer.pk})) == {globex.number}
    assert numbers(client.get("/api/tickets/", {"product": other_product.pk})) == {crm.number}
    assert numbers(client.get("/api/tickets/", {"escalated": "true"})) == {acme.number}
    assert numbers(client.get("/api/tickets/", {"escalated": "false"})) == {globex.number, crm.number}
    assert numbers(client.get("/api/tickets/", {"search": "reminder"})) == {globex.number}
    assert numbers(client.get("/api/tickets/", {"search": crm.number})) == {crm.number}


@pytest.mark.parametrize(
    "params,field",
    [({"status": "sleeping"}, "status"), ({"customer": 999999}, "customer"), ({"product": "abc"}, "product")],
)
def test_an_unknown_filter_value_is_a_400_naming_the_filter(api, agent, ticket, params, field):
    response = api(agent).get("/api/tickets/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_ticket_page_shows_dual_status_and_defect_links(api, agent, ticket, release):
    defect = escalate(ticket, agent)
    defect.fixed_in_release = release
    defect.status = "fixed"
    defect.save()

    body = api(agent).get(f"/api/tickets/{ticket.pk}/").json()

    assert body["number"] == ticket.number
    assert body["status"] == "awaiting_engineering"
    assert body["escalated"] is True
    assert body["engineering_status"] == "fixed"
    assert body["planned_release"] is None
    assert body["fixed_in_release"]["version"] == "2.4.0"
    assert body["defects"] == [
        {
            "id": defect.pk,
            "key": defect.key,
            "status": "fixed",
            "url": f"http://testserver/api/defects/{defect.pk}/",
            "trackers": [],
        }
    ]


def test_an_engineer_sees_escalated_tickets_only(api, agent, engineer, make_ticket):
    quiet = make_ticket(subject="Quiet")
    loud = make_ticket(subject="Loud")
    escalate(loud, agent)
    client = api(engineer)

    assert numbers(client.get("/api/tickets/")) == {loud.number}
    assert client.get(f"/api/tickets/{loud.pk}/").status_code == 200
    assert client.get(f"/api/tickets/{quiet.pk}/").status_code == 404


def test_an_unknown_ticket_is_a_404(api, agent):
    assert api(agent).get("/api/tickets/999999/").status_code == 404


def test_outsiders_are_refused_and_anonymous_users_must_log_in(api, outsider, ticket):
    assert api(outsider).get("/api/tickets/").status_code == 403
    assert api(outsider).get(f"/api/tickets/{ticket.pk}/").status_code == 403
    assert api(None).get("/api/tickets/").status_code in (401, 403)


def test_an_agent_creates_a_ticket_through_the_service(api, agent, customer, contact, product, component, version):
    response = api(agent).post(
        "/api/tickets/",
        {
            "subject": "Export button missing",
            "description": "Since **2.3.1**",
            "customer": customer.pk,
            "contact": contact.pk,
            "product": product.pk,
            "component": component.pk,
            "version": version.pk,
            "environment": "Firefox 128",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert response.json()["number"] == ticket.number == f"HD-{1000 + ticket.pk}"
    assert (ticket.contact, ticket.component, ticket.version) == (contact, component, version)
    assert ticket.created_by == agent
    assert audit_history(ticket).filter(action="created", channel=Channel.API, actor=agent).exists()


def test_a_manager_may_create_tickets_too(api, manager, customer, product):
    response = api(manager).post(
        "/api/tickets/", {"subject": "Hello", "customer": customer.pk, "product": product.pk}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("user", ["engineer", "outsider"])
def test_engineers_and_outsiders_cannot_create_tickets(api, request, customer, product, user):
    response = api(request.getfixturevalue(user)).post(
        "/api/tickets/", {"subject": "Hello", "customer": customer.pk, "product": product.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_creating_with_missing_or_unknown_ids_is_a_400_by_field(api, agent, product):
    response = api(agent).post("/api/tickets/", {"customer": 999999, "product": product.pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"subject", "customer"}
    assert not Ticket.objects.exists()


def test_a_contact_of_another_customer_is_refused_by_the_service(api, agent, other_customer, contact, product):
    response = api(agent).post(
        "/api/tickets/",
        {"subject": "Hi", "customer": other_customer.pk, "contact": contact.pk, "product": product.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "contact" in response.json()
    assert not Ticket.objects.exists()


def test_a_component_of_another_product_is_refused(api, agent, customer, product):
    foreign = Component.objects.create(product=Product.objects.create(name="CRM", code="crm"), name="Leads")
    response = api(agent).post(
        "/api/tickets/",
        {"subject": "Hi", "customer": customer.pk, "product": product.pk, "component": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "component" in response.json()


def _escalated_tickets(make_ticket, agent, release, count):
    for n in range(count):
        defect = escalate(make_ticket(subject=f"Problem {n}"), agent)
        defect.planned_release = release
        defect.save()


@pytest.mark.parametrize("user", ["agent", "engineer"])
def test_the_ticket_list_costs_the_same_queries_for_3_or_25_rows(request, make_ticket, agent, release, user):
    reader = request.getfixturevalue(user)
    _escalated_tickets(make_ticket, agent, release, 3)
    few = get_query_count(reader, "/api/tickets/", expect_rows=3)
    _escalated_tickets(make_ticket, agent, release, 22)
    many = get_query_count(reader, "/api/tickets/", expect_rows=25)
    assert few == many



def test_a_list_row_shows_the_same_statuses_and_releases_as_the_ticket_itself(api, agent, ticket, release, product):
    from django.utils import timezone

    from releases.models import Release

    shipped = Release.objects.create(
        product=product, version="2.3.0", status=Release.Status.RELEASED, released_at=timezone.now()
    )
    defect = escalate(ticket, agent)
    defect.planned_release, defect.fixed_in_release = release, shipped
    defect.save()

    row = api(agent).get("/api/tickets/").json()["results"][0]
    body = api(agent).get(f"/api/tickets/{ticket.pk}/").json()

    assert row == {key: body[key] for key in row}
    assert row["planned_release"]["version"] == "2.4.0" and row["fixed_in_release"]["version"] == "2.3.0"
    assert row["defects"] == [
        {"id": defect.pk, "key": defect.key, "status": "new", "url": row["defects"][0]["url"], "trackers": []}
    ]


def test_a_list_row_is_written_as_drf_would_write_its_declared_fields(api, agent, make_ticket, release, product):
    """A list row is DRF's walk over TicketSerializer's declared fields: the same values as the ticket's own page."""
    from releases.models import Release
    from tickets.api.serializers import TicketSerializer

    make_ticket(subject="Never escalated")
    planned = make_ticket(subject="Planned")
    defect = escalate(planned, agent)
    defect.planned_release = release
    defect.save()
    from django.utils import timezone

    shipped = Release.objects.create(
        product=product, version="2.3.9", status=Release.Status.RELEASED, released_at=timezone.now()
    )
    fixed = make_ticket(subject="Fixed")
    other = escalate(fixed, agent)
    other.fixed_in_release = shipped
    other.save()
    type(other).objects.filter(pk=other.pk).update(status="released")
    Ticket.objects.filter(pk=fixed.pk).update(assignee=None, planned_fix_slipped=True)

    client = api(agent)
    fast = client.get("/api/tickets/").json()

    assert len(fast["results"]) == 3
    assert [list(row) for row in fast["results"]] == [TicketSerializer.Meta.fields] * 3
    for row in fast["results"]:
        detail = client.get(row["url"]).json()
        assert row == {key: detail[key] for key in row}


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "TRUE!"])
def test_an_escalated_filter_that_is_not_true_or_false_is_a_400(api, agent, ticket, value):
    response = api(agent).get("/api/tickets/", {"escalated": value})
    assert response.status_code == 400
    assert response.json() == {"escalated": ["Use true or false."]}


@pytest.mark.parametrize("value", ["1", "0", "True", "false"])
def test_the_escalated_filter_takes_true_false_1_and_0(api, agent, ticket, value):
    assert api(agent).get("/api/tickets/", {"escalated": value}).status_code == 200


@pytest.mark.parametrize("value", [1.5, 1.0, "1.5", True, [1], {"id": 1}])
def test_a_customer_id_that_is_not_a_whole_number_is_refused(api, agent, customer, product, value):
    response = api(agent).post(
        "/api/tickets/", {"subject": "Export fails", "customer": value, "product": product.pk}, format="json"
    )
    assert response.status_code == 400
    assert "Expected an integer id" in response.json()["customer"][0]
    assert not Ticket.objects.exists()


def test_a_customer_id_as_a_string_of_digits_is_still_accepted(api, agent, customer, product):
    response = api(agent).post(
        "/api/tickets/", {"subject": "Export fails", "customer": str(customer.pk), "product": product.pk},
        format="json",
    )
    assert response.status_code == 201, response.content


HUGE = "9" * 23


def test_an_id_too_large_for_the_database_is_a_404_or_400_not_a_500(api, agent, customer, product, ticket):
    client = api(agent)
    client.raise_request_exception = False
    assert client.get(f"/api/tickets/{HUGE}/").status_code == 404
    assert client.get("/api/tickets/", {"customer": HUGE}).status_code == 400
    response = client.post(
        "/api/tickets/", {"subject": "Export fails", "customer": int(HUGE), "product": product.pk}, format="json"
    )
    assert response.status_code == 400 and "customer" in response.json()


def test_deeply_nested_json_is_a_400_with_a_clear_message(api, agent):
    client = api(agent)
    client.raise_request_exception = False
    response = client.post("/api/tickets/", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested deeper than 32 levels."}
    nested = '{"subject": ' + "[" * 40 + "]" * 40 + "}"
    response = client.post("/api/tickets/", data=nested, content_type="application/json")
    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_a_json_body_over_the_upload_limit_is_a_413(api, agent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(agent).post(
        "/api/tickets/", {"subject": "x" * 2000}, format="json"
    )
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["detail"]
