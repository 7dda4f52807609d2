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
