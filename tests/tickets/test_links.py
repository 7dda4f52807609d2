"""Linking a ticket to an existing defect after a confirmation, finding any open defect, and unlinking."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.audit import audit_history
from core.models import Channel
from defects.models import Defect, TicketDefectLink
from tests.factories import escalate, link
from tickets.models import Product, Ticket
from tickets.services.escalation import ticket_link_preview, ticket_unlink_defect

pytestmark = pytest.mark.django_db


def unlink(ticket, defect, actor, reason="Linked by mistake: a different export"):
    return ticket_unlink_defect(ticket=ticket, defect=defect, actor=actor, channel=Channel.WEB, reason=reason)


# The preview: the same rule as the link itself.


def test_the_preview_says_a_second_customer_raises_the_severity(agent, make_ticket, other_customer):
    defect = escalate(make_ticket(), agent, impact="single_user", urgency="blocked")
    ticket = make_ticket(customer=other_customer)

    preview = ticket_link_preview(ticket=ticket, defect=defect)

    assert (preview.customers, preview.tickets) == ((1, 2), (1, 2))
    assert (preview.severity, preview.severity_rises) == (("S3", "S1"), True)
    assert preview.impact == ("single_user", "multiple_customers")
    # Nothing changed yet; the link then does what the preview said.
    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()
    link(ticket, defect, agent)
    defect.refresh_from_db()
    assert (defect.customer_count, defect.ticket_count, defect.severity) == (1 + 1, 2, "S1")


def test_the_preview_of_a_customer_already_counted_adds_only_a_ticket(agent, make_ticket):
    defect = escalate(make_ticket(), agent)

    preview = ticket_link_preview(ticket=make_ticket(), defect=defect)

    assert (preview.customers, preview.tickets, preview.customer_known) == ((1, 1), (1, 2), True)
    assert not preview.severity_rises


def test_the_preview_refuses_what_linking_would_refuse(agent, engineer, make_ticket):
    defect = escalate(make_ticket(), agent)
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.WONT_FIX)
    defect.refresh_from_db()

    with pytest.raises(ValidationError) as excinfo:
        ticket_link_preview(ticket=make_ticket(), defect=defect)
    assert "link only to an open defect" in excinfo.value.message_dict["defect"][0]


# Unlinking.


def test_unlinking_is_audited_on_both_with_the_reason_and_recounts_the_defect(agent, make_ticket, other_customer):
    defect = escalate(make_ticket(), agent)
    ticket = make_ticket(customer=other_customer)
    link(ticket, defect, agent)

    unlink(ticket, defect, agent)

    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()
    defect.refresh_from_db()
    assert (defect.customer_count, defect.ticket_count) == (1, 1)
    on_ticket = audit_history(ticket).get(action="unlinked")
    assert (on_ticket.field, on_ticket.old, on_ticket.actor, on_ticket.reason) == (
        "defect", defect.key, agent, "Linked by mistake: a different export"
    )
    on_defect = audit_history(defect).get(action="unlinked")
    assert (on_defect.field, on_defect.old, on_defect.reason) == ("ticket", ticket.number, on_ticket.reason)


def test_unlinking_never_lowers_the_severity_linking_raised(agent, make_ticket, other_customer):
    defect = escalate(make_ticket(), agent, impact="single_user", urgency="blocked")
    ticket = make_ticket(customer=other_customer)
    link(ticket, defect, agent)

    unlink(ticket, defect, agent)

    defect.refresh_from_db()
    assert (defect.severity, defect.customer_count) == ("S1", 1)


def test_a_ticket_waiting_only_on_the_unlinked_defect_goes_back_to_open(agent, make_ticket):
    ticket = make_ticket()
    defect = escalate(ticket, agent)
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.AWAITING_ENGINEERING

    unlink(ticket, defect, agent)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert audit_history(ticket).filter(
        field="status", new="open", reason=f"Unlinked from {defect.key}: Linked by mistake: a different export"
    ).exists()


def test_unlinking_needs_a_reason_and_a_link(agent, make_ticket):
    ticket = make_ticket()
    defect = escalate(ticket, agent)
    with pytest.raises(ValidationError) as excinfo:
        unlink(ticket, defect, agent, reason="  ")
    assert excinfo.value.message_dict["reason"] == [f"Say why {ticket.number} is unlinked from {defect.key}."]
    other = make_ticket()
    with pytest.raises(ValidationError) as excinfo:
        unlink(other, defect, agent)
    assert excinfo.value.message_dict["defect"] == [f"{other.number} is not linked to {defect.key}."]
    assert TicketDefectLink.objects.filter(ticket=ticket, defect=defect).exists()


# Pages.


def test_linking_from_the_suggestions_asks_for_confirmation_first(client, agent, make_ticket, other_customer):
    defect = escalate(make_ticket(), agent, impact="single_user", urgency="blocked")
    ticket = make_ticket(customer=other_customer)
    client.force_login(agent)
    url = reverse("tickets:link", args=[ticket.pk])

    response = client.get(url, {"defect": defect.pk})

    html = response.content.decode()
    assert response.status_code == 200 and f"Link {ticket.number} to {defect.key}?" in html
    assert "Its severity rises from S3 to S1" in html
    assert f"{defect.key} counts Globex too: 2 customers (now 1)" in html
    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()

    response = client.post(url, {"defect": defect.pk})
    assert response.status_code == 302
    assert TicketDefectLink.objects.filter(ticket=ticket, defect=defect).exists()


def test_the_confirmation_of_a_defect_that_cannot_be_linked_says_why(client, agent, make_ticket, team):
    crm = Product.objects.create(name="CRM", code="crm", default_team=team)
    foreign = escalate(make_ticket(product=crm), agent)
    ticket = make_ticket()
    client.force_login(agent)

    response = client.get(reverse("tickets:link", args=[ticket.pk]), {"defect": foreign.pk}, follow=True)

    assert f"{foreign.key} is a defect of another product." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("tickets:escalate", args=[ticket.pk])


def test_an_agent_finds_any_open_defect_of_the_product_by_key_or_words(client, agent, engineer, make_ticket, team):
    quiet = {"subject": "Reminder emails", "description": "Customers get no reminders."}
    wanted = escalate(make_ticket(**quiet), agent, title="Dunning letters never leave the queue")
    crm = Product.objects.create(name="CRM", code="crm", default_team=team)
    elsewhere = escalate(make_ticket(product=crm, **quiet), agent, title="Dunning letters in CRM")
    closed = escalate(make_ticket(**quiet), agent, title="Dunning letters printed twice")
    Defect.objects.filter(pk=closed.pk).update(status=Defect.Status.WONT_FIX)
    ticket = make_ticket(subject="PDF export of an invoice times out")
    client.force_login(agent)
    url = reverse("tickets:similar", args=[ticket.pk])

    assert wanted not in client.get(url).context["similar"]  # not among the suggestions
    for query in ("dunning queue", wanted.key.lower()):
        response = client.get(url, {"q": query}, headers={"HX-Request": "true"})
        assert [d.key for d in response.context["similar"]] == [wanted.key]
        html = response.content.decode()
        assert f'href="{reverse("tickets:link", args=[ticket.pk])}?defect={wanted.pk}"' in html
        assert elsewhere.key not in html and closed.key not in html
    html = client.get(url, {"q": "nothing like this"}).content.decode()
    assert "No open Billing defect matches “nothing like this”." in html


def test_the_unlink_page_says_what_changes_and_needs_a_reason(client, agent, make_ticket, other_customer):
    defect = escalate(make_ticket(), agent)
    ticket = make_ticket(customer=other_customer)
    link(ticket, defect, agent)
    client.force_login(agent)
    url = reverse("tickets:unlink", args=[ticket.pk, defect.pk])

    html = client.get(url).content.decode()
    assert f"{defect.key} counts 1 customer (now 2) and 1 ticket (now 2)" in html
    assert "goes back to “Open”" in html

    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert TicketDefectLink.objects.filter(ticket=ticket).exists()

    response = client.post(url, {"reason": "Another customer's problem"})
    assert response.status_code == 302 and response.url == reverse("tickets:detail", args=[ticket.pk])
    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()
    page = client.get(response.url).content.decode()
    assert f"{ticket.number} is no longer linked to {defect.key}." in page


def test_the_ticket_page_offers_unlinking_to_agents_only(client, agent, engineer, make_ticket):
    ticket = make_ticket()
    defect = escalate(ticket, agent)
    url = reverse("tickets:unlink", args=[ticket.pk, defect.pk])
    client.force_login(agent)
    assert url in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    client.force_login(engineer)
    assert url not in client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "No"}).status_code == 403
    assert TicketDefectLink.objects.filter(ticket=ticket).exists()


# API.


def test_the_api_unlinks_with_a_reason_and_answers_400_without(api, agent, engineer, make_ticket):
    ticket = make_ticket()
    defect = escalate(ticket, agent)
    url = f"/api/tickets/{ticket.pk}/unlink/"

    response = api(agent).post(url, {"defect": defect.pk}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api(agent).post(url, {"defect": defect.pk, "reason": " "}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert api(engineer).post(url, {"defect": defect.pk, "reason": "No"}, format="json").status_code == 403

    response = api(agent).post(url, {"defect": defect.pk, "reason": "Wrong defect"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert audit_history(ticket).filter(action="unlinked", channel=Channel.API, reason="Wrong defect").exists()

    response = api(agent).post(url, {"defect": defect.pk, "reason": "Again"}, format="json")
    assert response.status_code == 400
    assert response.json()["defect"] == [f"{ticket.number} is not linked to {defect.key}."]


@pytest.mark.parametrize("defect_id", ["99999999999999999999999", "424242"])
def test_the_unlink_page_of_a_defect_the_ticket_is_not_linked_to_is_a_404(client, agent, ticket, defect_id):
    client.force_login(agent)

    assert client.get(f"/tickets/{ticket.pk}/unlink/{defect_id}/").status_code == 404


def test_a_severity_raised_by_a_second_customer_is_told_and_synced_like_any_other(
    agent, other_agent, make_ticket, other_customer, team
):
    from core.models import Notification
    from sync.models import OutboxItem
    from tests.factories import connect

    connect(team, name="Tracker", kind="github", base_url="http://127.0.0.1:9", project="acme/x", token="t")
    first = make_ticket(assignee=agent)
    defect = escalate(first, agent, impact="single_user", urgency="blocked")
    queued = OutboxItem.objects.filter(defect=defect).count()

    link(make_ticket(customer=other_customer, assignee=other_agent), defect, other_agent)

    defect.refresh_from_db()
    assert defect.severity == "S1" and defect.severity_reason == "Tickets from more than one customer are linked."
    told = Notification.objects.get(user=agent, kind=Notification.Kind.SEVERITY)
    assert "S3 -> S1" in told.message and first.number in told.message
    assert OutboxItem.objects.filter(defect=defect).count() > queued
