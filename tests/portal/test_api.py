"""The portal API: a contact's tickets, their conversation and their installations, documented under "portal"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.models import Channel
from defects.services.comments import comment_add
from tests.factories import PNG, escalate
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_contact_lists_their_tickets_with_plain_statuses(portal_api, contact, make_ticket, agent):
    escalate(make_ticket(contact=contact, subject="Slow export"), agent)
    make_ticket(contact=contact, subject="A question")

    body = portal_api(contact).get("/api/portal/tickets/").json()

    rows = {row["subject"]: row for row in body["results"]}
    assert rows["Slow export"]["status"] == {"code": "working", "text": "Our engineers are working on a fix"}
    assert rows["A question"]["status"]["text"] == "We have your request"
    assert set(rows["Slow export"]) == {"id", "number", "subject", "product", "status", "created_at", "updated_at"}


def test_a_contact_raises_a_ticket_with_a_file_and_reads_it_back(portal_api, contact, product, version, settings,
                                                                 tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api = portal_api(contact)

    created = api.post("/api/portal/tickets/", {
        "product": product.pk, "version": version.pk, "subject": "Crash on save", "description": "It crashes.",
        "attachments": [SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
    }, format="multipart")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"]["text"] == "We have your request" and body["version"] == "2.3.1"
    assert [f["name"] for f in body["files"]] == ["shot.png"]
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.contact == contact and ticket.status == Ticket.Status.NEW
    assert api.get(f"/api/portal/tickets/{ticket.pk}/").json()["number"] == ticket.number


def test_a_files_url_downloads_it_with_the_same_token_and_for_no_one_else(
    portal_api, contact, stranger, product, version, agent
):
    api = portal_api(contact)
    created = api.post("/api/portal/tickets/", {
        "product": product.pk, "version": version.pk, "subject": "Crash on save", "description": "It crashes.",
        "attachments": [SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
    }, format="multipart").json()
    [file] = created["files"]

    downloaded = api.get(file["url"], HTTP_ACCEPT="application/pdf")

    assert file["url"] == f"/api/portal/tickets/{created['id']}/files/{file['id']}/"
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == PNG
    assert downloaded["Content-Type"] == "image/png" and downloaded["X-Content-Type-Options"] == "nosniff"
    assert downloaded["Content-Disposition"].startswith('attachment; filename="shot.png"')
    assert portal_api(stranger).get(file["url"]).status_code == 404
    assert api.get(f"/api/portal/tickets/{created['id']}/files/{file['id'] + 1}/").status_code == 404
    client = APIClient()
    client.force_authenticate(agent)
    assert client.get(file["url"]).status_code in (401, 403)


def test_a_new_ticket_with_bad_fields_is_a_400_naming_them(portal_api, contact, product):
    response = portal_api(contact).post("/api/portal/tickets/", {"product": "x", "subject": ""}, format="json")

    assert response.status_code == 400
    assert {"product", "subject", "description"} <= set(response.json())
    assert not Ticket.objects.exists()


def test_the_conversation_is_read_and_answered_through_the_api(portal_api, contact, make_ticket, agent):
    ticket = make_ticket(contact=contact)
    comment_add(actor=agent, channel=Channel.WEB, body="Which browser?", visibility="customer", ticket=ticket)
    comment_add(actor=agent, channel=Channel.WEB, body="Hidden note", visibility="internal", ticket=ticket)
    api = portal_api(contact)

    posted = api.post(f"/api/portal/tickets/{ticket.pk}/comments/", {"body": "Firefox 128"}, format="json")
    thread = api.get(f"/api/portal/tickets/{ticket.pk}/comments/").json()["results"]

    assert posted.status_code == 201 and posted.json()["mine"] is True
    assert [(c["body"], c["from_customer"]) for c in thread] == [("Which browser?", False), ("Firefox 128", True)]
    assert api.post(f"/api/portal/tickets/{ticket.pk}/comments/", {"body": ""}, format="json").status_code == 400


def test_installations_are_kept_through_the_api(portal_api, contact, product, version):
    api = portal_api(contact)

    created = api.post("/api/portal/installations/", {"product": product.pk, "version": version.pk,
                                                      "environment": "Staging"}, format="json")
    pk = created.json()["id"]
    again = api.post("/api/portal/installations/", {"product": product.pk, "environment": "Staging"}, format="json")
    changed = api.patch(f"/api/portal/installations/{pk}/", {"environment": "Production"}, format="json")

    assert created.status_code == 201 and created.json()["version_name"] == "2.3.1"
    assert again.status_code == 400 and "already has an installation" in again.json()["environment"][0]
    assert changed.status_code == 200 and changed.json()["environment"] == "Production"
    assert [i["environment"] for i in api.get("/api/portal/installations/").json()["results"]] == ["Production"]
    assert api.delete(f"/api/portal/installations/{pk}/").status_code == 204


def test_without_portal_credentials_the_portal_api_is_a_401(client, contact, portal_customer):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/portal/tickets/").status_code in (401, 403)
    anonymous = APIClient()
    anonymous.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert anonymous.get("/api/portal/tickets/").status_code == 401


def test_an_expired_or_revoked_portal_token_is_a_401(portal_api, contact):
    from portal.models import PortalToken

    api = portal_api(contact)
    PortalToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert api.get("/api/portal/tickets/").status_code == 401
    PortalToken.objects.update(expires_at="2999-01-01T00:00:00Z", revoked_at="2001-01-01T00:00:00Z")
    assert api.get("/api/portal/tickets/").status_code == 401


def test_the_portal_api_is_in_the_schema_under_its_own_tag(api, agent):
    schema = api(agent).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    portal_paths = {path: item for path, item in schema["paths"].items() if path.startswith("/api/portal/")}
    assert {"/api/portal/tickets/", "/api/portal/tickets/{id}/", "/api/portal/tickets/{id}/comments/",
            "/api/portal/installations/", "/api/portal/magic-link/"} <= set(portal_paths)
    for item in portal_paths.values():
        for operation in item.values():
            assert operation["tags"] == ["portal"]
    assert "/api/contacts/{id}/invite/" in schema["paths"]
    assert {"portalToken", "portalSession"} <= set(schema["components"]["securitySchemes"])


def test_managers_turn_the_portal_on_for_a_customer_and_choose_what_contacts_see(api, manager, agent, customer):
    from core.audit import audit_history

    change = {"portal_enabled": True, "portal_scope": "organisation"}
    assert api(agent).patch(f"/api/customers/{customer.pk}/", change, format="json").status_code == 403
    response = api(manager).patch(f"/api/customers/{customer.pk}/", change, format="json")

    assert response.status_code == 200
    assert (response.json()["portal_enabled"], response.json()["portal_scope"]) == (True, "organisation")
    assert audit_history(customer).filter(field="portal_scope", new="organisation").exists()
    bad = api(manager).patch(f"/api/customers/{customer.pk}/", {"portal_scope": "everyone"}, format="json")
    assert bad.status_code == 400 and "portal_scope" in bad.json()


def test_the_api_ticket_list_costs_the_same_queries_for_one_ticket_or_fifteen(portal_api, contact, make_ticket,
                                                                              agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = portal_api(contact)
    escalate(make_ticket(contact=contact), agent)
    api.get("/api/portal/tickets/")  # the token's first use notes when it was used
    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/api/portal/tickets/").json()["results"]) == 1
    for n in range(14):
        ticket = make_ticket(contact=contact, subject=f"Ticket {n}")
        if n % 2:
            escalate(ticket, agent)
    with CaptureQueriesContext(connection) as fifteen:
        assert len(api.get("/api/portal/tickets/").json()["results"]) == 15

    assert len(fifteen.captured_queries) == len(one.captured_queries)
