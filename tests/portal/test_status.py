"""The plain status: one sentence from the ticket's, its defect's and its request's statuses."""

import pytest

from core.models import Channel
from defects.models import Defect
from defects.services.changes import defect_update
from enhancements.services.transitions import request_transition
from portal.selectors import plain_statuses_of
from portal.status import TicketFacts, plain_status
from releases.models import Release
from releases.services.ship import release_ship
from tests.factories import escalate, move, request_from, walk
from tickets.models import ProductVersion, Ticket
from tickets.services.tickets import ticket_set_status

T, D = Ticket.Status, Defect.Status


@pytest.mark.parametrize("facts,text", [
    (TicketFacts(status=T.NEW), "We have your request"),
    (TicketFacts(status=T.OPEN), "We are looking into it"),
    (TicketFacts(status=T.AWAITING_CUSTOMER), "We are waiting for your reply"),
    (TicketFacts(status=T.AWAITING_CUSTOMER, defect_status=D.IN_PROGRESS, planned="2.4"),
     "We are waiting for your reply"),
    (TicketFacts(status=T.RESOLVED), "Solved"),
    (TicketFacts(status=T.CLOSED), "Solved"),
    (TicketFacts(status=T.AWAITING_ENGINEERING, defect_status=D.TRIAGE), "Our engineers are working on a fix"),
    (TicketFacts(status=T.AWAITING_ENGINEERING, defect_status=D.IN_PROGRESS, planned="2.4"),
     "A fix is planned for version 2.4 (an estimate, not a promise)"),
    (TicketFacts(status=T.AWAITING_ENGINEERING, defect_status=D.IN_PROGRESS, planned="2.4", planned_fix_slipped=True),
     "Our engineers are working on a fix"),
    (TicketFacts(status=T.AWAITING_ENGINEERING, defect_status=D.FIXED, fixed_in="2.4.1", fixed_in_status="planned"),
     "A fix is planned for version 2.4.1 (an estimate, not a promise)"),
    (TicketFacts(status=T.OPEN, defect_status=D.RELEASED, fixed_in="2.4.1", fixed_in_status="released"),
     "Fixed in 2.4.1: upgrade to get it"),
    (TicketFacts(status=T.RESOLVED, defect_status=D.RELEASED, fixed_in="2.4.1", fixed_in_status="released"),
     "Fixed in 2.4.1: upgrade to get it"),
    (TicketFacts(status=T.OPEN, defect_status=D.WONT_FIX), "We are looking into it"),
    (TicketFacts(status=T.AWAITING_PRODUCT, request_status="under_review"), "Your request is with our product team"),
    (TicketFacts(status=T.AWAITING_PRODUCT, request_status="planned", request_target="2.6"),
     "Planned for version 2.6 (an estimate, not a promise)"),
    (TicketFacts(status=T.OPEN, request_status="delivered", request_delivered="2.6.0"),
     "Delivered in 2.6.0: upgrade to get it"),
    (TicketFacts(status=T.OPEN, request_status="declined"), "Our product team will not build this for now"),
])
def test_each_combination_reads_as_one_plain_sentence(facts, text):
    assert plain_status(facts).text == text


@pytest.mark.django_db
def test_the_status_follows_the_real_workflow_from_escalation_to_the_shipped_fix(
    make_ticket, contact, agent, engineer, manager, release
):
    ticket = make_ticket(contact=contact)
    status = lambda: plain_statuses_of([ticket.pk])[ticket.pk].text  # noqa: E731

    assert status() == "We have your request"
    defect = escalate(ticket, agent)
    assert status() == "Our engineers are working on a fix"
    defect = walk(defect, D.IN_PROGRESS, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    assert status() == "A fix is planned for version 2.4.0 (an estimate, not a promise)"
    for step in (D.IN_VERIFICATION, D.FIXED):
        defect = move(defect, step, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    assert status() == "A fix is planned for version 2.4.0 (an estimate, not a promise)"
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Tag checked by hand.")
    assert status() == "Fixed in 2.4.0: upgrade to get it"
    ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=T.RESOLVED, actor=agent, channel=Channel.WEB)
    assert status() == "Fixed in 2.4.0: upgrade to get it"


@pytest.mark.django_db
def test_a_release_that_ships_without_the_planned_fix_withdraws_the_estimate(
    make_ticket, contact, agent, engineer, manager, release
):
    ticket = make_ticket(contact=contact)
    defect = walk(escalate(ticket, agent), D.IN_PROGRESS, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)

    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Shipped without it.")

    assert plain_statuses_of([ticket.pk])[ticket.pk].text == "Our engineers are working on a fix"


@pytest.mark.django_db
def test_a_ticket_sent_to_product_management_reads_the_requests_status(
    make_ticket, contact, agent, product_manager, release
):
    ticket = make_ticket(contact=contact)
    request = request_from(ticket, agent)
    assert plain_statuses_of([ticket.pk])[ticket.pk].text == "Your request is with our product team"

    request_transition(request=request, to="under_review", actor=product_manager, channel=Channel.WEB)
    request_transition(request=request, to="planned", target_release=release, actor=product_manager,
                       channel=Channel.WEB)

    assert plain_statuses_of([ticket.pk])[ticket.pk].text == "Planned for version 2.4.0 (an estimate, not a promise)"


@pytest.mark.django_db
def test_shipping_a_release_makes_its_version_one_tickets_and_installations_can_name(product, manager):
    release = Release.objects.create(product=product, version="3.0.0")
    assert not ProductVersion.objects.filter(product=product, name="3.0.0").exists()

    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="First of the line.")

    assert ProductVersion.objects.filter(product=product, name="3.0.0").count() == 1
