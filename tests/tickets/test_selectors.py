"""The ticket reads: who sees which tickets, with no joins the caller does not ask for."""

import pytest

from tickets.selectors import ticket_list, ticket_page_get, visible_tickets

pytestmark = pytest.mark.django_db


def test_engineers_see_only_escalated_tickets_and_outsiders_none(agent, engineer, outsider, make_ticket):
    from tests.factories import escalate

    quiet, escalated = make_ticket(), make_ticket()
    escalate(escalated, agent)
    assert set(ticket_list(user=agent)) == {quiet, escalated}
    assert list(ticket_list(user=engineer)) == [escalated]
    assert not ticket_list(user=outsider).exists()
    assert set(visible_tickets(engineer)) == {escalated}


def test_the_visible_list_joins_nothing(agent):
    sql = str(ticket_list(user=agent).query)
    assert "JOIN" not in sql
    assert "JOIN" in str(visible_tickets(agent).query)


def test_the_ticket_page_knows_its_current_defect_and_whether_it_may_be_escalated(agent, engineer, ticket):
    from tests.factories import escalate

    page = ticket_page_get(user=agent, pk=ticket.pk)
    assert page.open_defect is None and page.can_escalate and page.ticket.current_defect is None
    defect = escalate(ticket, agent)
    page = ticket_page_get(user=agent, pk=ticket.pk)
    assert page.open_defect == defect and not page.can_escalate
    assert page.ticket.current_defect == defect
    assert not ticket_page_get(user=engineer, pk=ticket.pk).can_escalate


def test_the_rows_links_are_each_tickets_newest_defect_and_request_in_one_read(agent, make_ticket, release):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import Channel
    from defects.models import TicketDefectLink
    from enhancements.models import EnhancementRequest, TicketRequestLink
    from enhancements.services.requests import request_link_ticket
    from tests.factories import escalate, request_from
    from tickets.selectors import current_defects, current_links, current_requests

    both, escalated, quiet = make_ticket(), make_ticket(), make_ticket()
    first = request_from(both, agent, title="First ask")
    second = request_from(make_ticket(product=both.product), agent, title="Second ask")
    EnhancementRequest.objects.filter(pk=first.pk).update(status="declined")  # the ticket then asked again
    request_link_ticket(ticket=both, request=second, importance="important", actor=agent, channel=Channel.WEB)
    # Read as stored, whichever path linked them: a ticket asked for requests and was escalated twice.
    older, newer = escalate(make_ticket(), agent), escalate(escalated, agent)
    TicketDefectLink.objects.create(ticket=both, defect=older, linked_by=agent)
    TicketDefectLink.objects.create(ticket=both, defect=newer, linked_by=agent)
    # Linked in the same instant: the later link (the higher id) is the newer.
    TicketDefectLink.objects.filter(ticket=both).update(
        linked_at=TicketDefectLink.objects.get(ticket=both, defect=older).linked_at)
    EnhancementRequest.objects.filter(pk=second.pk).update(status="planned", target_release=release)
    TicketRequestLink.objects.filter(ticket=both).update(linked_at=TicketRequestLink.objects.get(
        ticket=both, request=first).linked_at)
    ids = [both.pk, escalated.pk, quiet.pk]

    with CaptureQueriesContext(connection) as read:
        defects, requests = current_links(ids)

    assert (defects, requests) == (current_defects(ids), current_requests(ids))
    assert {pk: d[0] for pk, d in defects.items()} == {both.pk: newer.pk, escalated.pk: newer.pk}
    assert requests == {both.pk: {"id": second.pk, "key": second.key, "status": "planned",
                                  "label": "Planned for 2.4.0"}}
    assert len(read) == (1 if connection.vendor == "postgresql" else 2)
    assert current_links([]) == ({}, {})
