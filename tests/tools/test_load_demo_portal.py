"""The demo's customer portal: customers with it on (organisation-wide and own tickets only), a contact
with a password, installations and their upgrade advice."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from portal.models import Installation, PortalAccount
from tickets.models import Customer
from tools import demo_data as data

pytestmark = pytest.mark.django_db


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        out = load()
        yield out
        transaction.set_rollback(True)


def test_the_demo_turns_the_portal_on_organisation_wide_for_some_and_own_tickets_for_others(demo):
    scopes = dict(Customer.objects.filter(portal_enabled=True).values_list("name", "portal_scope"))
    assert scopes == data.PORTAL
    assert {"own", "organisation"} == set(scopes.values())
    assert "/portal/ as carol@acme.example" in demo


def test_a_demo_contact_signs_in_with_the_demo_password_and_reads_a_planned_fix(demo):
    browser = Client()
    signed_in = browser.post(reverse("portal:sign_in"), {"email": "carol@acme.example", "password": "handoff"})
    assert signed_in.status_code == 302

    html = browser.get(reverse("portal:home")).content.decode()
    assert "A fix is planned for version 2.10.1 (an estimate, not a promise)" in html
    advice = browser.get(reverse("portal:installations")).content.decode()
    assert "Upgrade to Billing 2.10.0" in advice


def test_loading_again_adds_no_second_account_or_installation(demo):
    before = (PortalAccount.objects.count(), Installation.objects.count())
    load()
    assert (PortalAccount.objects.count(), Installation.objects.count()) == before == (2, 5)
