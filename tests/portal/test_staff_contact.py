"""The staff ticket page's word on the contact and the portal, read with the ticket itself."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.models import PortalAccount

pytestmark = pytest.mark.django_db


def portal_line(client, ticket) -> str:
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    return html.split('<div class="portal-invite">', 1)[1].split("</div>", 1)[0] if "portal-invite" in html else ""


def test_the_ticket_page_says_where_the_contact_stands_in_the_portal(client, agent, customer, contact, make_ticket):
    ticket = make_ticket(contact=contact)
    client.force_login(agent)
    assert "Not used by this customer" in portal_line(client, ticket)

    customer.portal_enabled = True
    customer.save()
    assert "Not invited" in portal_line(client, ticket) and "Invite to the portal" in portal_line(client, ticket)

    account = PortalAccount.objects.create(contact=contact, invited_at=timezone.now())
    assert "Invited." in portal_line(client, ticket) and "Invite again" in portal_line(client, ticket)

    PortalAccount.objects.filter(pk=account.pk).update(activated_at=timezone.now())
    assert "Uses it." in portal_line(client, ticket)


def test_the_contact_s_portal_standing_is_read_with_the_ticket_not_by_a_query_of_its_own(
    client, agent, customer, contact, make_ticket
):
    ticket = make_ticket(contact=contact)
    PortalAccount.objects.create(contact=contact, invited_at=timezone.now())
    client.force_login(agent)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("tickets:detail", args=[ticket.pk]))

    reading_accounts = [q["sql"] for q in queries.captured_queries if "portal_portalaccount" in q["sql"]]
    assert len(reading_accounts) == 1 and 'FROM "tickets_ticket"' in reading_accounts[0]


def test_an_engineer_is_not_shown_the_contact_s_portal_standing(client, engineer, agent, contact, make_ticket):
    from tests.factories import escalate

    ticket = make_ticket(contact=contact)
    escalate(ticket, agent)
    client.force_login(engineer)

    assert portal_line(client, ticket) == ""
