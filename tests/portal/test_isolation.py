"""Object-level checks on every portal page and endpoint: another customer's contact, and a contact
who may see only their own tickets, get 404 for anything not theirs, and nothing changes.

The URLs are read from the portal's URL patterns and API router, so a new page or
endpoint that takes an id fails here until it is listed (and checked) below.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from defects.models import Attachment, Comment
from portal.models import Installation
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Every portal page with an id, by URL name: how to call it on the target (method, path, body).
PAGES = {
    "portal:ticket": [("get", "/portal/tickets/{ticket}/", None)],
    "portal:reply": [("post", "/portal/tickets/{ticket}/reply/", {"body": "Not mine"})],
    "portal:file": [("get", "/portal/tickets/{ticket}/files/{file}/", None)],
    "portal:installation": [
        ("get", "/portal/installations/{installation}/", None),
        ("post", "/portal/installations/{installation}/", {"product": "{product}", "environment": "Hijacked"}),
    ],
    "portal:installation_remove": [("post", "/portal/installations/{installation}/remove/", None)],
}
# Pages whose only argument is a signed token, not an id: nothing to reach with another id.
TOKEN_PAGES = {"portal:link", "portal:welcome", "portal:unsubscribe"}
API = {
    "portal-ticket-detail": [("get", "/api/portal/tickets/{ticket}/", None)],
    "portal-ticket-comments": [
        ("get", "/api/portal/tickets/{ticket}/comments/", None),
        ("post", "/api/portal/tickets/{ticket}/comments/", {"body": "Not mine"}),
    ],
    "portal-ticket-file": [("get", "/api/portal/tickets/{ticket}/files/{file}/", None)],
    "portal-installation-detail": [
        ("get", "/api/portal/installations/{installation}/", None),
        ("patch", "/api/portal/installations/{installation}/", {"environment": "Hijacked"}),
        ("delete", "/api/portal/installations/{installation}/", None),
    ],
}


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from _patterns(entry, prefix + namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, entry.pattern


def test_every_portal_page_and_endpoint_with_an_id_is_checked_here():
    with_ids = set()
    for name, pattern in _patterns(get_resolver()):
        arguments = set(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern))) - {"format"}
        if name.startswith(("portal:", "portal-")) and arguments:
            with_ids.add(name)
    assert with_ids - TOKEN_PAGES == set(PAGES) | set(API)


@pytest.fixture
def targets(make_ticket, colleague, own_only_customer, own_only_colleague, product, settings, tmp_path):
    """Acme's ticket by Dan, Initech's ticket by Ivan, each with a file and a reply; each customer's installation."""
    settings.MEDIA_ROOT = tmp_path
    found = {}
    for key, customer, contact in [("acme", colleague.customer, colleague),
                                   ("initech", own_only_customer, own_only_colleague)]:
        ticket = make_ticket(customer=customer, contact=contact, subject=f"Secret subject of {key}")
        Comment.objects.create(ticket=ticket, author_contact=contact, body=f"Secret reply of {key}",
                               visibility=Comment.Visibility.CUSTOMER, side=Comment.Side.HELPDESK, from_customer=True)
        upload = Attachment.objects.create(
            ticket=ticket, file=ContentFile(b"log\n", name="x"), name="secret.log", content_type="text/plain",
            size=4, uploaded_by_contact=contact, from_customer=True,
        )
        installation = Installation.objects.create(customer=customer, product=product, environment="Production")
        found[key] = {"ticket": ticket.pk, "file": upload.pk, "installation": installation.pk, "product": product.pk}
    return found


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _state():
    return (
        list(Ticket.objects.values_list("pk", "status", "updated_at")),
        Comment.objects.count(),
        list(Installation.objects.values_list("pk", "environment", "product_id")),
    )


def _check_all(client, api, ids, *, skip_installations: bool = False):
    before = _state()
    for calls, via in [(PAGES, client), (API, api)]:
        for name, requests in calls.items():
            if skip_installations and "installation" in name:
                continue
            for method, path, body in requests:
                url = _fill(path, ids)
                data = _fill(body, ids)
                if via is api:
                    response = getattr(via, method)(url, data, format="json") if data else getattr(via, method)(url)
                else:
                    response = getattr(via, method)(url, data or {})
                assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
                assert b"Secret" not in response.content
    assert _state() == before


def test_a_contact_of_another_customer_gets_404_everywhere(portal_client, portal_api, stranger, targets):
    client, api = portal_client(stranger), portal_api(stranger)
    _check_all(client, api, targets["acme"])
    _check_all(client, api, targets["initech"])


def test_a_contact_who_sees_only_their_own_tickets_gets_404_for_a_colleagues_and_other_customers(
    portal_client, portal_api, own_only_contact, targets
):
    client, api = portal_client(own_only_contact), portal_api(own_only_contact)
    # Their colleague's ticket, its reply and its file (the installations are the organisation's: theirs too).
    _check_all(client, api, targets["initech"], skip_installations=True)
    _check_all(client, api, targets["acme"])


def test_the_same_urls_answer_their_owner(portal_client, portal_api, colleague, targets):
    client, api = portal_client(colleague), portal_api(colleague)
    ids = targets["acme"]
    assert client.get(_fill("/portal/tickets/{ticket}/", ids)).status_code == 200
    assert client.get(_fill("/portal/tickets/{ticket}/files/{file}/", ids)).status_code == 200
    assert client.get(_fill("/portal/installations/{installation}/", ids)).status_code == 200
    assert api.get(_fill("/api/portal/tickets/{ticket}/", ids)).status_code == 200
    assert api.get(_fill("/api/portal/tickets/{ticket}/comments/", ids)).status_code == 200
    assert api.get(_fill("/api/portal/installations/{installation}/", ids)).status_code == 200
