import pytest

from defects.models import Defect
from defects.severity import Impact, Urgency
from tests.factories import escalate
from tests.querycount import get_query_count
from tickets.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_defect(product, team):
    """A defect written directly: these tests read defects, they do not escalate."""

    def make(**kwargs):
        params = {
            "title": "PDF export times out", "product": product, "team": team,
            "impact": Impact.SINGLE_USER, "urgency": Urgency.DEGRADED, "severity": "S3",
        }
        params.update(kwargs)
        defect = Defect.objects.create(key=f"tmp-{Defect.objects.count()}", **params)
        Defect.objects.filter(pk=defect.pk).update(key=f"DEF-{defect.pk}")
        defect.refresh_from_db()
        return defect

    return make


def keys(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["key"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", ["agent", "engineer", "manager"])
def test_every_role_lists_defects_with_names_and_releases(api, request, make_defect, team, product, release, role):
    defect = make_defect(planned_release=release)
    [row] = api(request.getfixturevalue(role)).get("/api/defects/").json()["results"]
    assert row["key"] == defect.key
    assert (row["team"], row["team_name"]) == (team.pk, team.name)
    assert (row["product"], row["product_name"]) == (product.pk, product.name)
    assert row["planned_release"]["version"] == "2.4.0"
    assert row["fixed_in_release"] is None
    assert row["url"] == f"http://testserver/api/defects/{defect.pk}/"


def test_a_list_row_has_both_releases_and_the_names_of_its_parts(
    api, engineer, make_defect, product, component, release
):
    from releases.models import Release

    shipped = Release.objects.create(product=product, version="2.3.0")
    Release.objects.filter(pk=shipped.pk).update(status=Release.Status.RELEASED, released_at="2026-01-05T10:00:00Z")
    defect = make_defect(component=component, planned_release=release, fixed_in_release=shipped)

    [row] = api(engineer).get("/api/defects/").json()["results"]

    assert (row["component"], row["component_name"]) == (component.pk, "Invoices")
    assert row["planned_release"] == {
        "id": release.pk, "version": "2.4.0", "status": "planned", "planned_date": None, "released_at": None,
    }
    assert row["fixed_in_release"] == {
        "id": shipped.pk, "version": "2.3.0", "status": "released", "planned_date": None,
        "released_at": "2026-01-05T10:00:00Z",
    }
    assert (row["id"], row["impact"], row["urgency"], row["kind"]) == (
        defect.pk, defect.impact, defect.urgency, defect.kind,
    )
    assert "description" not in row


def test_list_pages_never_overlap_when_defects_rank_the_same(api, engineer, make_defect):
    made = {make_defect(title=f"Same {n}").key for n in range(5)}
    Defect.objects.update(created_at="2026-01-05T10:00:00Z")
    client = api(engineer)

    pages = [keys(client.get("/api/defects/", {"page_size": 2, "page": n})) for n in (1, 2, 3)]

    assert set().union(*pages) == made and sum(len(page) for page in pages) == 5


def test_outsiders_are_refused_and_anonymous_users_must_log_in(api, outsider, make_defect):
    defect = make_defect()
    for path in ("/api/defects/", f"/api/defects/{defect.pk}/", "/api/defects/similar/?q=export"):
        assert api(outsider).get(path).status_code == 403
        assert api(None).get(path).status_code in (401, 403)


def test_the_defect_list_filters_by_team_severity_status_and_product(api, engineer, make_defect, other_team):
    crm = Product.objects.create(name="CRM", code="crm")
    billing = make_defect()
    platform = make_defect(team=other_team, severity="S1")
    fixed = make_defect(status=Defect.Status.FIXED)
    leads = make_defect(product=crm)
    client = api(engineer)

    assert keys(client.get("/api/defects/", {"team": other_team.pk})) == {platform.key}
    assert keys(client.get("/api/defects/", {"severity": "S1"})) == {platform.key}
    assert keys(client.get("/api/defects/", {"status": "fixed"})) == {fixed.key}
    assert keys(client.get("/api/defects/", {"product": crm.pk})) == {leads.key}
    assert billing.key in keys(client.get("/api/defects/"))


@pytest.mark.parametrize(
    "params,field",
    [({"team": 999999}, "team"), ({"severity": "S9"}, "severity"), ({"status": "done"}, "status"),
     ({"product": "x"}, "product")],
)
def test_an_unknown_filter_value_is_a_400_naming_the_filter(api, engineer, params, field):
    response = api(engineer).get("/api/defects/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_defect_shows_its_description_versions_and_the_tickets_reporting_it(api, agent, ticket, version):
    defect = escalate(
        ticket, agent, title="Export fails", impact=Impact.SINGLE_USER,
        urgency=Urgency.BLOCKED, steps_to_reproduce="Export", expected_result="PDF", actual_result="Timeout",
        version=version,
    )

    body = api(agent).get(f"/api/defects/{defect.pk}/").json()

    assert body["key"] == defect.key
    assert (body["steps_to_reproduce"], body["expected_result"], body["actual_result"]) == ("Export", "PDF", "Timeout")
    assert body["affected_versions"] == [{"id": version.pk, "name": "2.3.1"}]
    [linked] = body["tickets"]
    assert (linked["id"], linked["number"], linked["customer_name"]) == (ticket.pk, ticket.number, "Acme Corp")
    assert linked["url"] == f"http://testserver/api/tickets/{ticket.pk}/"


def test_a_much_linked_defects_detail_shows_its_first_tickets_and_pages_them_all(
    api, agent, engineer, make_ticket, other_customer, monkeypatch
):
    from defects.api import serializers
    from tests.factories import link

    monkeypatch.setattr(serializers, "TICKETS_SHOWN", 2)
    first = make_ticket()
    defect = escalate(first, agent)
    later = [make_ticket(customer=other_customer) for _ in range(3)]
    for ticket in later:
        link(ticket, defect, agent)
    small = get_query_count(engineer, f"/api/defects/{defect.pk}/")

    body = api(engineer).get(f"/api/defects/{defect.pk}/").json()
    # The first two links (the first reporters), and where to read every one.
    assert [t["id"] for t in body["tickets"]] == [first.pk, later[0].pk]
    assert body["tickets_url"] == f"http://testserver/api/defects/{defect.pk}/tickets/"
    paged = api(engineer).get(body["tickets_url"], {"page_size": 3}).json()
    assert paged["count"] == 4 and [t["id"] for t in paged["results"]] == [first.pk, *(t.pk for t in later[:2])]
    assert [t["id"] for t in api(engineer).get(paged["next"]).json()["results"]] == [later[2].pk]
    assert paged["results"][1]["url"] == f"http://testserver/api/tickets/{later[0].pk}/"

    for _ in range(3):
        link(make_ticket(customer=other_customer), defect, agent)
    assert get_query_count(engineer, f"/api/defects/{defect.pk}/") == small


def test_only_staff_page_a_defects_tickets(api, outsider, agent, ticket):
    defect = escalate(ticket, agent)
    assert api(outsider).get(f"/api/defects/{defect.pk}/tickets/").status_code == 403
    assert api(agent).get("/api/defects/999999/tickets/").status_code == 404


def test_an_unknown_defect_is_a_404(api, agent):
    assert api(agent).get("/api/defects/999999/").status_code == 404


def test_defects_are_not_created_or_replaced_through_this_endpoint(api, manager, make_defect):
    # Triage changes them with PATCH (tests/defects/test_api_triage.py); escalation creates them.
    defect = make_defect()
    assert api(manager).post("/api/defects/", {"title": "x"}, format="json").status_code == 405
    assert api(manager).put(f"/api/defects/{defect.pk}/", {"title": "x"}, format="json").status_code == 405


def test_similar_defects_are_open_ones_sharing_words_same_product_first(api, agent, make_defect, product):
    crm = Product.objects.create(name="CRM", code="crm")
    other_product = make_defect(product=crm, title="Invoice export crashes with timeout")
    same_product = make_defect(title="Export timeout on invoices")
    make_defect(title="Invoice export timeout", status=Defect.Status.RELEASED)
    make_defect(title="Login button misaligned")

    response = api(agent).get("/api/defects/similar/", {"q": "invoice export timeout", "product": product.pk})

    assert response.status_code == 200
    assert [row["key"] for row in response.json()] == [same_product.key, other_product.key]


def test_similar_needs_a_query(api, agent):
    response = api(agent).get("/api/defects/similar/")
    assert response.status_code == 400
    assert "q" in response.json()


def test_similar_with_an_unknown_product_is_a_400(api, agent):
    response = api(agent).get("/api/defects/similar/", {"q": "export", "product": 999999})
    assert response.status_code == 400
    assert "product" in response.json()


def _defects(make_defect, release, count: int) -> None:
    for n in range(count):
        make_defect(title=f"Problem {n}", planned_release=release, fixed_in_release=release)


def test_the_defect_list_costs_the_same_queries_for_3_or_25_rows(engineer, make_defect, release):
    _defects(make_defect, release, 3)
    few = get_query_count(engineer, "/api/defects/", expect_rows=3)
    _defects(make_defect, release, 22)
    assert get_query_count(engineer, "/api/defects/", expect_rows=25) == few


def test_similar_defects_cost_the_same_queries_for_3_or_25_matches(agent, make_defect, release):
    # The answer is capped at ten, but every match is read the same way.
    _defects(make_defect, release, 3)
    client_url = "/api/defects/similar/?q=problem"
    few = get_query_count(agent, client_url)
    _defects(make_defect, release, 22)
    assert get_query_count(agent, client_url) == few
