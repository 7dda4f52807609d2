"""Tickets joining one request at the same moment, on PostgreSQL: the demand rows are regrouped one at a time."""

import threading

import pytest
from django.db import connection, connections

from enhancements.models import RequestDemand
from enhancements.services.requests import request_link_ticket
from tests.factories import request_from
from tickets.models import Customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


def test_tickets_of_many_customers_join_one_request_at_once(make_ticket, agent):
    request = request_from(make_ticket(), agent)
    tickets = [make_ticket(customer=Customer.objects.create(name=f"Joiner {n}")) for n in range(6)]
    start = threading.Barrier(len(tickets))
    errors = []

    def join(ticket):
        try:
            start.wait(timeout=10)
            request_link_ticket(ticket=ticket, request=request, importance="important", actor=agent, channel="api")
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join, args=(t,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    request.refresh_from_db()
    assert request.customer_count == 7 and request.ticket_count == 7
    assert sorted(RequestDemand.objects.filter(request=request).values_list("position", flat=True)) == list(range(1, 8))
