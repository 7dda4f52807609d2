"""Portal accounts and staff accounts never meet: each side's credentials open only its own side."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/", "/tickets/", "/defects/", "/releases/", "/notifications/", "/account/tokens/", "/admin/",
               "/requests/"]
STAFF_API = ["/api/tickets/", "/api/customers/", "/api/defects/", "/api/notifications/", "/api/schema/"]


def test_a_signed_in_contact_reaches_no_staff_page_admin_or_staff_api(portal_client, contact, make_ticket):
    ticket = make_ticket(contact=contact)
    client = portal_client(contact)
    assert client.get(reverse("portal:home")).status_code == 200

    for path in [*STAFF_PAGES, reverse("tickets:detail", args=[ticket.pk])]:
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response.url, path
    for path in STAFF_API:
        assert client.get(path).status_code in (401, 403), path
    assert client.post(f"/api/contacts/{contact.pk}/invite/").status_code in (401, 403)


def test_a_portal_token_is_refused_by_the_staff_api(portal_api, contact):
    api = portal_api(contact)
    assert api.get("/api/portal/tickets/").status_code == 200

    for path in STAFF_API:
        assert api.get(path).status_code == 401, path


def test_a_staff_user_with_every_flag_and_the_contacts_address_cannot_use_the_portal(client, contact, manager,
                                                                                     portal_customer):
    boss = User.objects.create_superuser("root", contact.email, "pw-pw-pw-pw")
    for user in (boss, manager):
        client.force_login(user)
        response = client.get(reverse("portal:home"))
        assert response.status_code == 302 and response.url.startswith(reverse("portal:sign_in"))
        api = APIClient()
        api.force_authenticate(user)
        assert api.get("/api/portal/tickets/").status_code == 403
        api.force_authenticate(None)
        api.login(username=user.username, password="pw-pw-pw-pw")
        assert api.get("/api/portal/tickets/").status_code in (401, 403)


def test_a_staff_api_token_does_not_open_the_portal_api(agent, portal_customer):
    from core.tokens import api_token_issue

    _, key = api_token_issue(user=agent, name="t", actor=agent, channel="api")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert api.get("/api/tickets/").status_code == 200
    assert api.get("/api/portal/tickets/").status_code == 401


def test_portal_pages_are_never_kept_by_a_browser_or_proxy(portal_client, contact):
    response = portal_client(contact).get(reverse("portal:home"))

    assert response["Cache-Control"] == "no-store, private"
