"""Invitations, sign-in links, passwords and the portal's own sessions."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from portal.middleware import API_COOKIE, PAGES_COOKIE
from portal.models import PortalAccount, PortalLink, PortalSession
from portal.services.accounts import LINKS_PER_ADDRESS, portal_invite
from tests.portal.conftest import account_for

pytestmark = pytest.mark.django_db


def _link(message, name: str) -> str:
    """The path of the portal link (`link`, `welcome`) in an email."""
    match = re.search(rf"http://testserver(/portal/{name}/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.HANDOFF_BASE_URL = "http://testserver"


def test_an_agent_invites_a_contact_who_sets_a_password_and_is_signed_in(
    client, agent, contact, portal_customer, make_ticket, outbox, django_capture_on_commit_callbacks
):
    ticket = make_ticket(contact=contact)
    client.force_login(agent)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Invite to the portal" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_staff:invite", args=[contact.pk]),
                               {"next": reverse("tickets:detail", args=[ticket.pk])})
    assert response.status_code == 302 and response.url == reverse("tickets:detail", args=[ticket.pk])
    [invitation] = outbox
    assert invitation.to == [contact.email] and "72 hours" in invitation.body
    welcome = _link(invitation, "welcome")

    browser = Client()
    assert "Choose a password" in browser.get(welcome).content.decode()
    answer = browser.post(welcome, {"password": "a long secret", "again": "a long secret"})
    assert answer.status_code == 302 and answer.url == reverse("portal:home")
    assert browser.cookies[PAGES_COOKIE]["path"] == "/portal/"
    assert browser.cookies[API_COOKIE]["path"] == "/api/portal/"
    assert browser.cookies[PAGES_COOKIE]["httponly"]
    assert ticket.number in browser.get(reverse("portal:home")).content.decode()
    # Used once: the link is spent.
    assert browser.post(welcome, {"password": "another secret", "again": "another secret"}).status_code == 400
    assert AuditEntry.objects.filter(action="invited to the portal", actor=agent).exists()


def test_an_invitation_expires_after_72_hours(contact, portal_customer, agent, outbox,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        portal_invite(contact=contact, actor=agent, channel="web")
    welcome = _link(outbox[0], "welcome")
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = Client().post(welcome, {"password": "a long secret", "again": "a long secret"})

    assert response.status_code == 400 and "expired or was already used" in response.content.decode()
    assert not account_for(contact).password


def test_a_customer_without_the_portal_cannot_have_its_contacts_invited(api, agent, contact):
    response = api(agent).post(f"/api/contacts/{contact.pk}/invite/")

    assert response.status_code == 400 and "does not use the customer portal" in response.json()["contact"][0]
    assert not PortalAccount.objects.exists()


def test_the_api_invites_with_a_202_for_agents_and_refuses_engineers(
    api, agent, engineer, contact, portal_customer, outbox, django_capture_on_commit_callbacks
):
    assert api(engineer).post(f"/api/contacts/{contact.pk}/invite/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert api(agent).post(f"/api/contacts/{contact.pk}/invite/").status_code == 202
    assert [m.to for m in outbox] == [[contact.email]]
    assert api(agent).post("/api/contacts/999999/invite/").status_code == 404


def test_a_sign_in_link_opens_a_page_with_one_button_and_works_once_when_pressed(
    portal_customer, contact, outbox, django_capture_on_commit_callbacks
):
    account_for(contact)
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/api/portal/magic-link/", {"email": contact.email.upper()},
                             content_type="application/json").status_code == 202
    link = _link(outbox[0], "link")
    browser = Client()

    # A mail scanner opening the link twice changes nothing.
    for _ in range(2):
        page = browser.get(link)
        assert page.status_code == 200 and "<button" in page.content.decode()
    assert not PortalSession.objects.exists()
    answer = browser.post(link)
    assert answer.status_code == 302 and PortalSession.objects.count() == 1
    assert Client().post(link).status_code == 400
    assert PortalSession.objects.count() == 1


def test_a_sign_in_link_is_good_for_15_minutes(portal_customer, contact, outbox, django_capture_on_commit_callbacks):
    account_for(contact)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("portal:link_request"), {"email": contact.email})
    link = PortalLink.objects.get()
    assert timedelta(minutes=14) < link.expires_at - link.created_at <= timedelta(minutes=15)
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert Client().post(_link(outbox[0], "link")).status_code == 400


def test_asking_for_a_link_answers_the_same_for_any_address(
    portal_customer, contact, stranger, outbox, django_capture_on_commit_callbacks
):
    account_for(contact)
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for address in (contact.email, "nobody@example.test", stranger.email):
            response = Client().post(reverse("portal:link_request"), {"email": address})
            answers.append(response.content.decode().replace(address, "ADDRESS"))
            assert Client().post("/api/portal/magic-link/", {"email": address},
                                 content_type="application/json").status_code == 202

    assert answers[0] == answers[1] == answers[2]
    # Only the contact with an account got a link (the stranger was never invited).
    assert [m.to for m in outbox] == [[contact.email], [contact.email]]


def test_links_are_limited_per_address_and_per_client_address(
    portal_customer, contact, outbox, django_capture_on_commit_callbacks
):
    account_for(contact)
    limit = LINKS_PER_ADDRESS[0]
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(limit + 3):
            assert Client().post("/api/portal/magic-link/", {"email": contact.email},
                                 content_type="application/json").status_code == 202
    assert len(outbox) == limit

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(25):
            Client(REMOTE_ADDR="10.9.9.9").post("/api/portal/magic-link/", {"email": f"x{n}@example.test"},
                                                content_type="application/json")
        # The client address is spent: even a real contact's new address gets nothing from it.
        other = contact.customer.contacts.create(name="Dan", email="dan@acme.test")
        account_for(other)
        Client(REMOTE_ADDR="10.9.9.9").post("/api/portal/magic-link/", {"email": other.email},
                                            content_type="application/json")
    assert len(outbox) == limit


def test_a_password_signs_in_and_repeated_failures_lock_the_address(portal_customer, contact, client):
    account = account_for(contact)
    account.set_password("a long secret")
    account.save()

    for _ in range(10):
        assert client.post(reverse("portal:sign_in"), {"email": contact.email, "password": "wrong!"}).status_code == 400
    locked = client.post(reverse("portal:sign_in"), {"email": contact.email, "password": "a long secret"})

    assert locked.status_code == 400 and PAGES_COOKIE not in locked.cookies
    assert Client(REMOTE_ADDR="10.1.1.1").post(
        reverse("portal:sign_in"), {"email": "carol@acme.test", "password": "a long secret"}
    ).status_code == 400


def test_a_password_sign_in_sets_the_portal_cookies_and_signing_out_ends_the_session(portal_customer, contact, client):
    account = account_for(contact)
    account.set_password("a long secret")
    account.save()

    response = client.post(reverse("portal:sign_in"), {"email": contact.email, "password": "a long secret"})
    assert response.status_code == 302 and PortalSession.objects.count() == 1
    assert client.get(reverse("portal:home")).status_code == 200
    out = client.post(reverse("portal:sign_out"))

    assert out.status_code == 302 and not PortalSession.objects.exists()
    assert client.get(reverse("portal:home")).status_code == 302


def test_turning_the_portal_off_for_a_customer_signs_its_contacts_out(portal_client, contact, portal_customer):
    client = portal_client(contact)
    assert client.get(reverse("portal:home")).status_code == 200
    portal_customer.portal_enabled = False
    portal_customer.save()

    assert client.get(reverse("portal:home")).status_code == 302


def test_portal_forms_need_a_csrf_token(contact, make_ticket, portal_customer):
    from tests.portal.conftest import session_key

    ticket = make_ticket(contact=contact)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[PAGES_COOKIE] = browser.cookies[API_COOKIE] = session_key(contact)

    assert browser.post(reverse("portal:reply", args=[ticket.pk]), {"body": "hi"}).status_code == 403
    assert browser.post(f"/api/portal/tickets/{ticket.pk}/comments/", {"body": "hi"},
                        content_type="application/json").status_code == 403
    assert browser.post(reverse("portal:sign_in"), {"email": "a@b.c", "password": "x"}).status_code == 403
