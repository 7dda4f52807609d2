"""The portal API's installations are written directly (portal.api.serializers.installation_data):
each must read exactly as InstallationSerializer, which documents the schema, would write it."""

import json

import pytest

from core.models import Channel
from defects.models import Defect
from defects.services.changes import defect_update
from portal.advice import installations_advice
from portal.api.serializers import InstallationSerializer
from portal.models import Installation
from portal.selectors import identity_for_session
from releases.models import Release
from releases.services.ship import release_ship
from tests.factories import escalate, walk
from tests.portal.conftest import session_key
from tickets.models import Product, ProductVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def advised(make_ticket, contact, agent, engineer, manager, product, portal_customer):
    """Carol's installations in every state the advice knows: two upgrade lines, fixes already held,
    no version known, and a product with nothing to advise."""
    for version, subjects in (("2.4.0", ["Totals are off", "Rounding <twice>"]), ("2.5.0", ["Export hangs"])):
        release = Release.objects.create(product=product, version=version)
        for subject in subjects:
            fixed = walk(escalate(make_ticket(contact=contact, subject=subject), agent), Defect.Status.FIXED, engineer)
            defect_update(defect=fixed, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
        release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    escalate(make_ticket(contact=contact, subject="Still open"), agent)
    other = Product.objects.create(name="Payroll", code="pay")
    for product_, name, environment in (
        (product, "2.3.9", "Production"), (product, "2.4.0", "Staging"), (product, None, "Test"),
        (other, "1.0", "Production"),
    ):
        version = ProductVersion.objects.get_or_create(product=product_, name=name)[0] if name else None
        Installation.objects.create(customer=contact.customer, product=product_, version=version,
                                    environment=environment)
    return installations_advice(identity_for_session(session_key(contact)))


def _serialized(entry) -> dict:
    return json.loads(json.dumps(InstallationSerializer(entry).data))


def test_every_installation_reads_as_its_serializer_writes_it(advised, contact, portal_api):
    api = portal_api(contact)
    by_environment = {(e.installation.product.name, e.installation.environment): e for e in advised}
    production, staging = by_environment["Billing", "Production"], by_environment["Billing", "Staging"]
    assert [line.take.version for line in production.lines] == ["2.4.0", "2.5.0"]
    assert len(staging.held) == 2 and [line.take.version for line in staging.lines] == ["2.5.0"]
    assert by_environment["Billing", "Test"].installation.version is None
    nothing = by_environment["Payroll", "Production"]
    assert nothing.lines == [] and nothing.upgrade is None

    listed = api.get("/api/portal/installations/").json()["results"]

    assert sorted(listed, key=lambda i: i["id"]) == sorted(map(_serialized, advised), key=lambda i: i["id"])
    for entry in advised:
        one = api.get(f"/api/portal/installations/{entry.installation.pk}/")
        assert one.json() == _serialized(entry)
    [first] = [i for i in listed if i["id"] == production.installation.pk]
    assert "Rounding <twice>" in [t["subject"] for t in first["fixes"][0]["tickets"]]


def test_a_created_installation_answers_with_its_advice(advised, contact, portal_api, product):
    version = ProductVersion.objects.get(product=product, name="2.3.9")
    Installation.objects.filter(product=product, version=version).delete()

    created = portal_api(contact).post("/api/portal/installations/", {
        "product": product.pk, "version": version.pk, "environment": "Production",
    }, format="json")

    assert created.status_code == 201
    assert [line["release"] for line in created.json()["fixes"]] == ["2.4.0", "2.5.0"]
    assert created.json()["upgrade_to"] == "2.5.0"
    [entry] = [e for e in installations_advice(identity_for_session(session_key(contact)))
               if e.installation.pk == created.json()["id"]]
    assert created.json() == _serialized(entry)
