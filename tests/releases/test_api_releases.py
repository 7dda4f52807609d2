import pytest
from django.utils import timezone

from releases.models import Release
from tests.querycount import get_query_count
from tickets.models import Product

pytestmark = pytest.mark.django_db


def versions(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["version"] for row in response.json()["results"]]


@pytest.mark.parametrize("role", ["agent", "engineer", "manager"])
def test_every_role_reads_releases_newest_version_first(api, request, product, role):
    for version in ("2.9.0", "2.10.0", "2.10.0-rc1", "1.0"):
        Release.objects.create(product=product, version=version)
    response = api(request.getfixturevalue(role)).get("/api/releases/")
    assert versions(response) == ["2.10.0", "2.10.0-rc1", "2.9.0", "1.0"]


def test_releases_filter_by_product_and_status(api, agent, product):
    crm = Product.objects.create(name="CRM", code="crm")
    Release.objects.create(product=product, version="2.4.0")
    Release.objects.create(product=product, version="2.3.0", status="released", released_at=timezone.now())
    Release.objects.create(product=crm, version="7.0")
    client = api(agent)

    assert versions(client.get("/api/releases/", {"product": crm.pk})) == ["7.0"]
    assert versions(client.get("/api/releases/", {"product": product.pk, "status": "released"})) == ["2.3.0"]
    [row] = client.get("/api/releases/", {"product": crm.pk}).json()["results"]
    assert (row["product_name"], row["status"], row["released_at"]) == ("CRM", "planned", None)


@pytest.mark.parametrize("params,field", [({"product": 999999}, "product"), ({"status": "shipped"}, "status")])
def test_an_unknown_filter_value_is_a_400(api, agent, params, field):
    response = api(agent).get("/api/releases/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_outsiders_are_refused_and_anonymous_users_must_log_in(api, outsider, release):
    assert api(outsider).get("/api/releases/").status_code == 403
    assert api(None).get(f"/api/releases/{release.pk}/").status_code in (401, 403)


def test_the_release_list_costs_the_same_queries_for_3_or_25_rows(agent):
    def add(start, count):
        for n in range(start, start + count):
            Release.objects.create(product=Product.objects.create(name=f"P{n}", code=f"p{n}"), version=f"1.{n}")

    add(0, 3)
    few = get_query_count(agent, "/api/releases/", expect_rows=3)
    add(3, 22)
    assert get_query_count(agent, "/api/releases/", expect_rows=25) == few
