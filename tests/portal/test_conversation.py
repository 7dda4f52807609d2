"""Replies to the customer and the customer's replies: on the help-desk side only, never to engineering."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Channel
from defects.attachments import check_uploads
from defects.models import Comment
from defects.services.comments import comment_add
from portal.services.tickets import portal_reply
from sync.models import OutboxItem
from tests.factories import connect, escalate
from tests.portal.conftest import session_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalated(make_ticket, contact, agent, team, portal_customer):
    """Carol's ticket, escalated to a team whose defects sync with a tracker."""
    connect(team, name="Tracker", kind="github", base_url="http://127.0.0.1:9", project="acme/x", token="t")
    ticket = make_ticket(contact=contact)
    return ticket, escalate(ticket, agent)


def _identity(contact):
    from portal.selectors import identity_for_session

    return identity_for_session(session_key(contact))


def test_an_agent_replies_to_the_customer_through_the_api_and_the_portal_shows_it(
    api, agent, escalated, contact, portal_client
):
    ticket, _ = escalated
    response = api(agent).post(f"/api/tickets/{ticket.pk}/comments/",
                               {"body": "We found the cause.", "visibility": "customer"}, format="json")

    assert response.status_code == 201 and response.json()["visibility"] == "customer"
    html = portal_client(contact).get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "We found the cause." in html


def test_an_agent_chooses_reply_to_the_customer_on_the_ticket_page(client, agent, escalated, contact, portal_client):
    ticket, _ = escalated
    client.force_login(agent)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'value="customer"' in page and "Reply to the customer" in page

    client.post(reverse("tickets:comment", args=[ticket.pk]), {"body": "Try clearing the cache.",
                                                               "visibility": "customer"})

    assert Comment.objects.get(ticket=ticket).visibility == Comment.Visibility.CUSTOMER
    assert "Try clearing the cache." in portal_client(contact).get(
        reverse("portal:ticket", args=[ticket.pk])
    ).content.decode()


def test_replies_to_and_from_the_customer_never_reach_the_tracker_or_engineering(
    api, agent, engineer, manager, escalated, contact
):
    ticket, defect = escalated
    comments_queued = OutboxItem.objects.filter(kind=OutboxItem.Kind.COMMENT)
    comment_add(actor=agent, channel=Channel.WEB, body="To the customer", visibility="customer", ticket=ticket)
    portal_reply(identity=_identity(contact), ticket=ticket, body="From the customer")
    assert not comments_queued.exists()

    thread = api(engineer).get(f"/api/tickets/{ticket.pk}/comments/").json()["results"]
    defect_thread = api(engineer).get(f"/api/defects/{defect.pk}/comments/").json()["results"]
    managers_defect_thread = api(manager).get(f"/api/defects/{defect.pk}/comments/").json()["results"]
    assert thread == [] and defect_thread == [] and managers_defect_thread == []
    # The help desk sees both, the customer's marked as theirs.
    bodies = {c["body"]: c for c in api(agent).get(f"/api/tickets/{ticket.pk}/comments/").json()["results"]}
    assert set(bodies) == {"To the customer", "From the customer"}
    assert bodies["From the customer"]["author_contact"] == contact.name
    # A comment shared with engineering still goes to the tracker, as before.
    comment_add(actor=agent, channel=Channel.WEB, body="Shared", visibility="shared", ticket=ticket)
    assert comments_queued.count() == 1


def test_only_the_help_desk_replies_to_the_customer_and_only_on_tickets(api, engineer, agent, escalated):
    ticket, defect = escalated

    by_engineer = api(engineer).post(f"/api/tickets/{ticket.pk}/comments/",
                                     {"body": "x", "visibility": "customer"}, format="json")
    on_defect = api(agent).post(f"/api/defects/{defect.pk}/comments/",
                                {"body": "x", "visibility": "customer"}, format="json")

    assert by_engineer.status_code == 400 and "help desk" in by_engineer.json()["visibility"][0]
    assert on_defect.status_code == 400 and "ticket" in on_defect.json()["visibility"][0]
    assert not Comment.objects.exists()


def test_the_agent_sees_the_customers_reply_on_the_ticket_page_and_is_told(client, agent, escalated, contact):
    from core.models import Notification

    ticket, _ = escalated
    portal_reply(identity=_identity(contact), ticket=ticket, body="It happens again on Mondays.")
    client.force_login(agent)

    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert "It happens again on Mondays." in html and "from the customer" in html
    assert Notification.objects.filter(user=agent, message__contains=f"replied on {ticket.number}").exists()


def test_a_deleted_contacts_reply_and_file_stay_the_customers(
    make_ticket, contact, colleague, agent, api, client, portal_client, portal_api, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(contact=contact)
    upload = SimpleUploadedFile("trace.log", b"stack trace\n", content_type="text/plain")
    portal_reply(identity=_identity(colleague), ticket=ticket, body="It fails for me too.",
                 files=check_uploads([upload]))
    comment_add(actor=agent, channel=Channel.WEB, body="Thanks, looking.", visibility="customer", ticket=ticket)

    colleague.delete()  # as the admin deletes a contact

    thread = portal_api(contact).get(f"/api/portal/tickets/{ticket.pk}/comments/").json()["results"]
    assert [(c["author"], c["from_customer"]) for c in thread] == [
        ("A former contact", True), ("Support", False),
    ]
    [sent] = thread[0]["files"]
    assert portal_api(contact).get(sent["url"]).status_code == 200
    page = portal_client(contact).get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "A former contact" in page and "trace.log" in page
    staff = api(agent).get(f"/api/tickets/{ticket.pk}/comments/").json()["results"]
    assert [(c["author_contact"], c["from_customer"]) for c in staff] == [(None, True), (None, False)]
    client.force_login(agent)
    ticket_page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "A former contact · Customer" in ticket_page and "from the customer" in ticket_page
