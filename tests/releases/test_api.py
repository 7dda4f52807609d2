import csv
import io

import pytest
from django.core import mail

from core.audit import audit_history
from core.models import Channel
from defects.models import Defect
from releases.models import Release, ReleaseNotice
from releases.services.ship import release_ship
from tickets.models import Product

pytestmark = pytest.mark.django_db


def test_releases_list_newest_version_first_and_filter_by_product(api, agent, product):
    for version in ["2.9.0", "2.10.0", "2.9.1", "10.0.0-rc1", "10.0.0"]:
        Release.objects.create(product=product, version=version)
    other = Product.objects.create(name="CRM", code="crm")
    Release.objects.create(product=other, version="1.0.0")

    response = api(agent).get("/api/releases/", {"product": product.pk})

    assert response.status_code == 200
    assert [r["version"] for r in response.json()["results"]] == ["10.0.0", "10.0.0-rc1", "2.10.0", "2.9.1", "2.9.0"]


def test_managers_create_releases_audited(api, manager, product):
    response = api(manager).post(
        "/api/releases/", {"product": product.pk, "version": "2.6.0", "planned_date": "2026-12-15"}, format="json"
    )
    assert response.status_code == 201, response.content
    release = Release.objects.get(pk=response.json()["id"])
    assert (release.version, release.status, str(release.planned_date)) == ("2.6.0", "planned", "2026-12-15")
    assert audit_history(release).filter(action="created", channel=Channel.API, actor=manager).exists()


@pytest.mark.parametrize("version,field", [("", "version"), ("two point four", "version"), ("2.4.0", "version")])
def test_a_bad_or_taken_version_is_a_400_naming_the_field(api, manager, product, release, version, field):
    response = api(manager).post("/api/releases/", {"product": product.pk, "version": version}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Release.objects.count() == 1


def test_a_release_for_an_unknown_product_is_a_400(api, manager):
    response = api(manager).post("/api/releases/", {"product": 9999, "version": "1.0"}, format="json")
    assert response.status_code == 400 and "product" in response.json()


def test_shipping_through_the_api_releases_fixes_and_slips_plans(
    api, manager, release, next_release, fixed_in, planned_for
):
    fixed = fixed_in(release)
    planned = planned_for(release)

    response = api(manager).post(
        f"/api/releases/{release.pk}/ship/", {"move_unfixed_to": next_release.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["release"]["status"] == "released"
    assert body["released"] == [fixed.key] and body["slipped"] == [planned.key]
    assert Defect.objects.get(pk=planned.pk).planned_release == next_release
    assert audit_history(release).filter(action="shipped", channel=Channel.API).exists()
    ticket = planned.ticket_links.get().ticket
    detail = api(manager).get(f"/api/tickets/{ticket.pk}/").json()
    assert detail["planned_fix_slipped"] is True


def test_shipping_twice_through_the_api_is_a_400(api, manager, release):
    assert api(manager).post(f"/api/releases/{release.pk}/ship/").status_code == 200
    response = api(manager).post(f"/api/releases/{release.pk}/ship/")
    assert response.status_code == 400
    assert "already released" in response.json()["status"][0]


def test_shipping_with_a_target_of_another_product_is_a_400(api, manager, release):
    foreign = Release.objects.create(product=Product.objects.create(name="CRM", code="crm"), version="3.0")
    response = api(manager).post(f"/api/releases/{release.pk}/ship/", {"move_unfixed_to": foreign.pk}, format="json")
    assert response.status_code == 400 and "move_unfixed_to" in response.json()
    assert Release.objects.get(pk=release.pk).status == "planned"


@pytest.mark.parametrize("who", ["agent", "engineer", "outsider"])
@pytest.mark.parametrize("method,path", [("post", "ship/"), ("post", "notify/")])
def test_only_managers_ship_and_notify(request, api, release, who, method, path):
    user = request.getfixturevalue(who)
    response = getattr(api(user), method)(f"/api/releases/{release.pk}/{path}")
    assert response.status_code == 403
    assert Release.objects.get(pk=release.pk).status == "planned"


@pytest.mark.parametrize("who", ["agent", "engineer"])
def test_only_managers_create_releases(request, api, product, who):
    response = api(request.getfixturevalue(who)).post(
        "/api/releases/", {"product": product.pk, "version": "3.0.0"}, format="json"
    )
    assert response.status_code == 403


def test_anonymous_callers_are_refused(api, release):
    assert api(None).get(f"/api/releases/{release.pk}/report/").status_code in (401, 403)
    assert api(None).post(f"/api/releases/{release.pk}/ship/").status_code in (401, 403)


def test_the_report_api_gives_defects_customers_contacts_and_upgrades(
    api, agent, manager, release, fixed_in, make_ticket, contact, product
):
    from tickets.models import ProductVersion

    old = ProductVersion.objects.create(product=product, name="2.3.1")
    ticket = make_ticket(contact=contact, version=old)
    defect = fixed_in(release, ticket=ticket)
    release_ship(release=release, actor=manager, channel=Channel.WEB)

    body = api(agent).get(f"/api/releases/{release.pk}/report/").json()

    assert body["release"]["version"] == "2.4.0" and body["release"]["status"] == "released"
    assert [(d["key"], d["severity"], [t["number"] for t in d["tickets"]]) for d in body["defects"]] == [
        (defect.key, defect.severity, [ticket.number])
    ]
    [acme] = body["customers"]
    assert acme["name"] == "Acme Corp" and acme["reported_version"] == "2.3.1"
    assert acme["tickets"][0]["can_close"] is True
    assert acme["contacts"] == [{
        "id": contact.pk, "name": "Carol Customer", "email": "carol@acme.test", "phone": "",
        "tickets": [ticket.number], "notice_status": None, "notified_at": None,
    }]
    assert body["upgrades"] == [{
        "customer": acme["id"], "customer_name": "Acme Corp", "runs_version": "2.3.1", "upgrade_to": "2.4.0",
        "upgrade_is_backport": False,
        "gains": [{"id": defect.pk, "key": defect.key, "title": defect.title, "severity": defect.severity,
                   "fixed_in": "2.4.0", "take": "2.4.0", "backport": False}],
    }]


def test_the_report_api_filters_by_customer_and_refuses_a_bad_id(
    api, agent, release, fixed_in, make_ticket, other_customer
):
    fixed_in(release, ticket=make_ticket())
    response = api(agent).get(f"/api/releases/{release.pk}/report/", {"customer": other_customer.pk})
    assert response.status_code == 200 and response.json()["customers"] == []
    for bad in ("x", "²", "99999999999999999999"):
        assert api(agent).get(f"/api/releases/{release.pk}/report/", {"customer": bad}).status_code == 400
    assert api(agent).get(f"/api/releases/{release.pk}/report/", {"customer": 9999}).status_code == 404
    assert api(agent).get("/api/releases/9999/report/").status_code == 404


def test_the_report_api_downloads_escaped_csv(api, agent, release, fixed_in, make_ticket):
    fixed_in(release, ticket=make_ticket(subject="=1+1 is not a formula"))

    response = api(agent).get(f"/api/releases/{release.pk}/report/?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="fixed-in-billing-2.4.0.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][3] == "'=1+1 is not a formula"


def test_notify_returns_202_and_the_report_then_shows_notified_at(
    api, manager, release, fixed_in, make_ticket, contact, django_capture_on_commit_callbacks
):
    fixed_in(release, ticket=make_ticket(contact=contact))
    release_ship(release=release, actor=manager, channel=Channel.WEB)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(manager).post(f"/api/releases/{release.pk}/notify/")

    assert response.status_code == 202
    assert response.json()["pending"] == 1
    assert [m.to for m in mail.outbox] == [["carol@acme.test"]]
    [customer] = api(manager).get(f"/api/releases/{release.pk}/report/").json()["customers"]
    assert customer["contacts"][0]["notice_status"] == "sent"
    assert customer["contacts"][0]["notified_at"] is not None
    assert ReleaseNotice.objects.get().queued_by == manager


def test_notify_before_shipping_is_a_400(api, manager, release):
    response = api(manager).post(f"/api/releases/{release.pk}/notify/")
    assert response.status_code == 400 and "release" in response.json()
