"""Contacts of three customers, signed in to the portal as a browser or with a token would be.

- Carol (Acme Corp, organisation-wide) and her colleague Dan;
- Olga of Initech, whose contacts see only the tickets they raised;
- Greg of Globex, another customer altogether.
"""

from types import SimpleNamespace

import pytest
from django.core import mail

from portal import ratelimit
from portal.middleware import API_COOKIE, PAGES_COOKIE
from portal.models import PortalAccount
from portal.services.accounts import _start_session, portal_token_issue
from tickets.models import Contact, Customer


@pytest.fixture(autouse=True)
def _one_rate_window(monkeypatch):
    """Every count of a test falls in one window of the portal's rate limits: a test that
    crossed a window's end (every 15 minutes) had its counts start again halfway."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


@pytest.fixture
def portal_customer(customer) -> Customer:
    customer.portal_enabled = True
    customer.portal_scope = Customer.PortalScope.ORGANISATION
    customer.save()
    return customer


@pytest.fixture
def colleague(portal_customer) -> Contact:
    return Contact.objects.create(customer=portal_customer, name="Dan Diaz", email="dan@acme.test")


@pytest.fixture
def own_only_customer(db) -> Customer:
    return Customer.objects.create(name="Initech", portal_enabled=True, portal_scope=Customer.PortalScope.OWN)


@pytest.fixture
def own_only_contact(own_only_customer) -> Contact:
    return Contact.objects.create(customer=own_only_customer, name="Olga Own", email="olga@initech.test")


@pytest.fixture
def own_only_colleague(own_only_customer) -> Contact:
    return Contact.objects.create(customer=own_only_customer, name="Ivan Ito", email="ivan@initech.test")


@pytest.fixture
def stranger(other_customer) -> Contact:
    other_customer.portal_enabled = True
    other_customer.portal_scope = Customer.PortalScope.ORGANISATION
    other_customer.save()
    return Contact.objects.create(customer=other_customer, name="Greg Green", email="greg@globex.test")


def account_for(contact: Contact) -> PortalAccount:
    account, _ = PortalAccount.objects.get_or_create(contact=contact)
    return account


def session_key(contact: Contact) -> str:
    account = account_for(contact)
    return _start_session(account, how="test")


@pytest.fixture
def portal_client(client, portal_customer):
    """The test client signed in to the portal as `contact` (both portal cookies): portal_client(carol)."""

    def sign_in(contact: Contact):
        key = session_key(contact)
        client.cookies[PAGES_COOKIE] = key
        client.cookies[API_COOKIE] = key
        return client

    return sign_in


@pytest.fixture
def portal_api(portal_customer):
    """An API client carrying a portal token of `contact`: portal_api(carol).get("/api/portal/tickets/")."""
    from rest_framework.test import APIClient

    def client_for(contact: Contact) -> APIClient:
        _, key = portal_token_issue(account=account_for(contact), name="test")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return client_for


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox
