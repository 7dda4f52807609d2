"""The ticket search box (`q` on the list page, `search` in the API): number, subject, customer name."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Ticket
from tickets.selectors import filter_tickets

pytestmark = pytest.mark.django_db


def found(term: str) -> set[str]:
    return {t.subject for t in filter_tickets(Ticket.objects.all(), search=term)}


@pytest.fixture
def tickets(make_ticket, other_customer):
    make_ticket(subject="Payslip is blank")
    make_ticket(subject="Reminder mail is late", customer=other_customer)
    return {t.subject: t for t in Ticket.objects.all()}


def test_search_by_part_of_the_customer_name_in_any_case(tickets):
    assert found("lobe") == {"Reminder mail is late"}
    assert found("ACME") == {"Payslip is blank"}


def test_search_by_part_of_the_subject_in_any_case(tickets):
    assert found("PAYSLIP") == {"Payslip is blank"}
    assert found("mail is") == {"Reminder mail is late"}


def test_search_by_ticket_number_in_any_case(tickets):
    ticket = tickets["Reminder mail is late"]
    assert found(ticket.number.lower()) == {"Reminder mail is late"}
    assert found(f"  {ticket.number} ") == {"Reminder mail is late"}


def test_one_term_matches_a_subject_or_a_customer_name(tickets, make_ticket):
    make_ticket(subject="Globex asks for an export")
    assert found("globex") == {"Reminder mail is late", "Globex asks for an export"}


def test_no_match_finds_nothing(tickets):
    assert found("nothing like this") == set()


def test_the_ticket_query_has_no_customer_join(tickets):
    with CaptureQueriesContext(connection) as queries:
        list(filter_tickets(Ticket.objects.all(), search="globex"))
    customer_lookup, ticket_query = (q["sql"] for q in queries.captured_queries)
    assert "tickets_customer" in customer_lookup
    assert "tickets_customer" not in ticket_query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_the_subject_search_can_use_the_trigram_index():
    # On a handful of rows the planner prefers a scan (of the table, or of another index
    # filtered row by row); forbidding both shows the index fits the predicate.
    sql, params = filter_tickets(Ticket.objects.all(), search="payslip").values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        assert "ticket_subject_trgm" in "\n".join(row[0] for row in cursor.fetchall())
