"""The contact's pages: their tickets with plain statuses, one ticket, a reply, a new ticket."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Channel
from defects.models import Attachment, Comment
from defects.services.comments import comment_add
from portal.models import PortalToken
from portal.services.accounts import portal_token_issue
from tests.factories import PNG, escalate
from tests.portal.conftest import account_for
from tickets.models import Ticket
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db


def test_a_contact_sees_their_organisations_tickets_with_a_plain_status(
    portal_client, contact, colleague, make_ticket, agent
):
    mine = make_ticket(contact=contact, subject="Invoices are late")
    theirs = make_ticket(contact=colleague, subject="Exports are slow")
    escalate(theirs, agent)

    html = portal_client(contact).get(reverse("portal:home")).content.decode()

    assert "Invoices are late" in html and "We have your request" in html
    assert "Exports are slow" in html and "Our engineers are working on a fix" in html
    assert mine.number in html and theirs.number in html


def test_a_contact_limited_to_their_own_tickets_sees_no_colleagues_tickets(
    portal_client, own_only_contact, own_only_colleague, make_ticket, own_only_customer
):
    make_ticket(customer=own_only_customer, contact=own_only_contact, subject="Mine")
    make_ticket(customer=own_only_customer, contact=own_only_colleague, subject="My colleague's")

    html = portal_client(own_only_contact).get(reverse("portal:home")).content.decode()

    assert "Mine" in html and "My colleague&#x27;s" not in html and "My colleague's" not in html


def test_the_ticket_list_costs_the_same_queries_for_one_ticket_or_twenty(
    portal_client, contact, make_ticket, agent
):
    client = portal_client(contact)
    escalate(make_ticket(contact=contact), agent)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("portal:home")).status_code == 200
    for n in range(19):
        ticket = make_ticket(contact=contact, subject=f"Ticket {n}")
        if n % 2:
            escalate(ticket, agent)
    with CaptureQueriesContext(connection) as twenty:
        html = client.get(reverse("portal:home")).content.decode()

    assert html.count('class="subject"') == 20
    # The session, the count, the page's ids, its rows, their defects and requests (PostgreSQL: and an estimate).
    assert len(twenty.captured_queries) == len(one.captured_queries) <= 7


def test_the_ticket_page_costs_the_same_queries_for_one_reply_or_ten(portal_client, contact, make_ticket, agent):
    ticket = make_ticket(contact=contact)
    client = portal_client(contact)
    comment_add(actor=agent, channel=Channel.WEB, body="First answer", visibility="customer", ticket=ticket)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("portal:ticket", args=[ticket.pk])).status_code == 200
    for n in range(9):
        comment_add(actor=agent, channel=Channel.WEB, body=f"Answer {n}", visibility="customer", ticket=ticket)
    with CaptureQueriesContext(connection) as ten:
        html = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()

    assert html.count('class="from-support"') == 10
    assert len(ten.captured_queries) == len(one.captured_queries) <= 7


def test_a_reply_with_a_file_reopens_a_ticket_waiting_on_the_customer(
    portal_client, contact, make_ticket, agent, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(contact=contact)
    ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=agent, channel=Channel.WEB)
    ticket_set_status(ticket=ticket, status=Ticket.Status.AWAITING_CUSTOMER, actor=agent, channel=Channel.WEB)
    client = portal_client(contact)

    response = client.post(reverse("portal:reply", args=[ticket.pk]), {
        "body": "Here is the screenshot you asked for.",
        "attachments": [SimpleUploadedFile("screen.png", PNG, content_type="image/png")],
    })

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    reply = Comment.objects.get(ticket=ticket)
    assert reply.visibility == Comment.Visibility.CUSTOMER and reply.author_contact == contact
    assert reply.author is None and reply.side == Comment.Side.HELPDESK
    upload = Attachment.objects.get(ticket=ticket)
    assert upload.comment == reply and upload.uploaded_by_contact == contact
    html = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "Here is the screenshot you asked for." in html and "screen.png" in html
    download = client.get(reverse("portal:file", args=[ticket.pk, upload.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_a_reply_with_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_kept(
    portal_client, contact, make_ticket, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(contact=contact)

    response = portal_client(contact).post(reverse("portal:reply", args=[ticket.pk]), {
        "body": "See the file",
        "attachments": [SimpleUploadedFile("notes.png", b"just text", content_type="image/png")],
    })

    assert response.status_code == 400
    assert "notes.png: only images" in response.content.decode()
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_a_new_ticket_from_the_portal_arrives_in_the_help_desks_list(
    portal_client, contact, product, version, client, agent, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    response = portal_client(contact).post(reverse("portal:ticket_new"), {
        "product": product.pk, "version": version.pk, "subject": "The totals are wrong",
        "description": "Since Monday the invoice totals are off by a cent.",
        "attachments": [SimpleUploadedFile("totals.log", b"total=10.01\n", content_type="text/plain")],
    })

    ticket = Ticket.objects.get(subject="The totals are wrong")
    assert response.status_code == 302 and response.url == reverse("portal:ticket", args=[ticket.pk])
    assert ticket.contact == contact and ticket.customer == contact.customer and ticket.version == version
    assert ticket.status == Ticket.Status.NEW and ticket.assignee is None
    assert ticket.attachments.get().name == "totals.log"
    client.force_login(agent)
    assert "The totals are wrong" in client.get(reverse("tickets:list")).content.decode()


def test_a_new_ticket_needs_a_version_of_the_product_chosen(portal_client, contact, product, other_customer):
    from tickets.models import Product, ProductVersion

    other = Product.objects.create(name="Analytics", code="an")
    foreign = ProductVersion.objects.create(product=other, name="1.0")

    response = portal_client(contact).post(reverse("portal:ticket_new"), {
        "product": product.pk, "version": foreign.pk, "subject": "x", "description": "y",
    })

    assert response.status_code == 400 and "is not a version of Billing" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_list_rows_fragment_escapes_what_customers_typed(portal_client, contact, make_ticket):
    make_ticket(contact=contact, subject="<script>alert('x')</script> & \"quoted\"")

    html = portal_client(contact).get(reverse("portal:home")).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in html


def test_no_open_tickets_says_so_and_all_shows_the_solved_ones(portal_client, contact, make_ticket, agent):
    ticket = make_ticket(contact=contact, subject="Old question")
    for status in (Ticket.Status.OPEN, Ticket.Status.RESOLVED):
        ticket_set_status(ticket=ticket, status=status, actor=agent, channel=Channel.WEB)
    client = portal_client(contact)

    assert "No open tickets." in client.get(reverse("portal:home")).content.decode()
    everything = client.get(reverse("portal:home") + "?show=all").content.decode()
    assert "Old question" in everything and "Solved" in everything


@pytest.mark.parametrize("posted", ["²", "¹²", "99999999999999999999", "x"])
def test_revoking_a_token_that_is_not_an_id_revokes_nothing(portal_client, contact, posted):
    _, key = portal_token_issue(account=account_for(contact), name="script")

    response = portal_client(contact).post(reverse("portal:account"), {"action": "revoke", "token": posted})

    assert response.status_code == 200 and "Token revoked." not in response.content.decode()
    assert PortalToken.objects.filter(revoked_at__isnull=True).count() == 1
