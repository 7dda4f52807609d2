"""Nothing internal reaches a customer: every portal page, API answer and email is scanned for
strings seeded beforehand in internal notes, engineering's comments, severities' reasons,
engineering's status reasons, declined requests' reasons, defects, staff names and other customers."""

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from core.models import Channel
from defects.models import Attachment, Defect
from defects.services.changes import defect_update
from defects.services.comments import comment_add
from enhancements.services.transitions import request_transition
from portal.models import Installation
from portal.services.accounts import portal_invite, portal_request_sign_in_link
from tests.factories import escalate, link, move, request_from, walk
from tickets.models import Contact, Ticket
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db

SECRETS = [
    "INTERNAL-NOTE-SECRET", "SHARED-WITH-ENGINEERING-SECRET", "ENGINEERING-SHARED-SECRET",
    "ENGINEERING-INTERNAL-SECRET", "SEVERITY-REASON-SECRET", "STATUS-REASON-SECRET", "DEFECT-TITLE-SECRET",
    "DECLINE-REASON-SECRET", "OTHER-CUSTOMER-TICKET-SECRET", "OTHER-CUSTOMER-FILE-SECRET", "Globex",
    "alice-agent", "erin-engineer", "pia-pm", "greg@globex.test",
]


@pytest.fixture
def seeded(make_ticket, contact, stranger, agent, engineer, product_manager, release, settings, tmp_path,
           django_capture_on_commit_callbacks, portal_customer, outbox):
    settings.MEDIA_ROOT = tmp_path
    settings.HANDOFF_BASE_URL = "http://testserver"
    carol_ticket = make_ticket(contact=contact, subject="Totals are wrong")
    with django_capture_on_commit_callbacks(execute=True):
        portal_invite(contact=contact, actor=agent, channel=Channel.WEB)
        defect = escalate(carol_ticket, agent, title="DEFECT-TITLE-SECRET", severity="S1",
                          severity_reason="SEVERITY-REASON-SECRET")
        comment_add(actor=agent, channel=Channel.WEB, body="INTERNAL-NOTE-SECRET", visibility="internal",
                    ticket=carol_ticket)
        comment_add(actor=agent, channel=Channel.WEB, body="SHARED-WITH-ENGINEERING-SECRET", visibility="shared",
                    ticket=carol_ticket)
        comment_add(actor=engineer, channel=Channel.WEB, body="ENGINEERING-SHARED-SECRET", visibility="shared",
                    defect=defect)
        comment_add(actor=engineer, channel=Channel.WEB, body="ENGINEERING-INTERNAL-SECRET", visibility="internal",
                    defect=defect)
        comment_add(actor=agent, channel=Channel.WEB, body="A visible answer", visibility="customer",
                    ticket=carol_ticket)
        defect = walk(defect, Defect.Status.IN_PROGRESS, engineer)
        defect = move(defect, Defect.Status.NEEDS_INFO, engineer, reason="STATUS-REASON-SECRET")
        defect = move(defect, Defect.Status.IN_PROGRESS, engineer, reason="STATUS-REASON-SECRET again")
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
        # Another customer's ticket on the same defect, with its own file.
        globex_ticket = make_ticket(customer=stranger.customer, contact=stranger,
                                    subject="OTHER-CUSTOMER-TICKET-SECRET")
        link(globex_ticket, defect, agent)
        Attachment.objects.create(ticket=globex_ticket, file=ContentFile(b"x\n", name="x"),
                                  name="OTHER-CUSTOMER-FILE-SECRET.log", content_type="text/plain", size=2,
                                  uploaded_by_contact=stranger, from_customer=True)
        # Agents' own files on Carol's ticket are not the customer's either.
        Attachment.objects.create(ticket=carol_ticket, file=ContentFile(b"x\n", name="y"),
                                  name="INTERNAL-NOTE-SECRET.log", content_type="text/plain", size=2,
                                  uploaded_by=agent)
        # A request product management declined, with its reason for the help desk.
        asked = make_ticket(contact=contact, subject="Please add dark mode")
        request = request_from(asked, agent)
        request_transition(request=request, to="declined", reason="DECLINE-REASON-SECRET", actor=product_manager,
                           channel=Channel.WEB)
        ticket_set_status(ticket=Ticket.objects.get(pk=asked.pk), status=Ticket.Status.AWAITING_CUSTOMER,
                          actor=agent, channel=Channel.WEB)
        Installation.objects.create(customer=contact.customer, product=carol_ticket.product)
        portal_request_sign_in_link(email=contact.email, client_ip="10.0.0.1")
    return {"tickets": [carol_ticket, asked], "defect": defect}


def _scan(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked in {where}"


def test_no_portal_page_api_answer_or_email_shows_anything_internal(seeded, portal_client, portal_api, contact,
                                                                    outbox):
    client, api = portal_client(contact), portal_api(contact)
    tickets = seeded["tickets"]
    pages = [reverse("portal:home"), reverse("portal:home") + "?show=all", reverse("portal:ticket_new"),
             reverse("portal:installations"), reverse("portal:account")]
    pages += [reverse("portal:ticket", args=[t.pk]) for t in tickets]
    pages += [f"/api/portal/tickets/{t.pk}/" for t in tickets] + [f"/api/portal/tickets/{t.pk}/comments/"
                                                                  for t in tickets]
    pages += ["/api/portal/tickets/", "/api/portal/installations/"]
    seen = 0
    for path in pages:
        response = (api if path.startswith("/api/") else client).get(path)
        assert response.status_code == 200, path
        _scan(response.content.decode(), path)
        seen += 1
    html = client.get(reverse("portal:ticket", args=[tickets[0].pk])).content.decode()
    assert "A visible answer" in html and "A fix is planned for version 2.4.0" in html
    # The pages a contact reaches from emails, before signing in.
    assert outbox, "the seeding sent emails"
    for message in outbox:
        if message.to != [contact.email]:
            continue
        _scan(message.subject + message.body + str(message.extra_headers), f"email {message.subject!r}")
        for path in re.findall(r"http://testserver(/portal/\S+/)", message.body):
            _scan(Client().get(path).content.decode(), path)
            seen += 1
    assert seen > 15


def test_a_contact_never_downloads_the_help_desks_own_files(seeded, portal_client, contact):
    carol_ticket = seeded["tickets"][0]
    staff_file = Attachment.objects.get(name="INTERNAL-NOTE-SECRET.log")

    response = portal_client(contact).get(reverse("portal:file", args=[carol_ticket.pk, staff_file.pk]))

    assert response.status_code == 404


def test_the_contacts_colleagues_see_the_same_and_no_more(seeded, portal_client, colleague):
    html = portal_client(Contact.objects.get(pk=colleague.pk)).get(
        reverse("portal:ticket", args=[seeded["tickets"][0].pk])
    ).content.decode()
    _scan(html, "a colleague's view")
    assert "A visible answer" in html
