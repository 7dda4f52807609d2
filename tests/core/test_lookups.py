"""`__any_of`: the rows of `__in`, sent as one array on PostgreSQL (core.lookups)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defects.models import Defect, TicketDefectLink
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(make_ticket):
    return [make_ticket(subject=f"Ticket {n}") for n in range(5)]


def ids_of(queryset) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


def test_it_finds_the_rows_in_finds_for_the_same_values(tickets):
    wanted = [tickets[3].pk, tickets[0].pk, tickets[3].pk, None, 10**9]
    assert ids_of(Ticket.objects.filter(pk__any_of=wanted)) == ids_of(Ticket.objects.filter(pk__in=wanted))
    assert ids_of(Ticket.objects.filter(pk__any_of=wanted)) == sorted([tickets[0].pk, tickets[3].pk])
    # Any iterable, read once (a generator too), and excluded as __in is.
    assert ids_of(Ticket.objects.filter(pk__any_of=(t.pk for t in tickets[:2]))) == sorted(t.pk for t in tickets[:2])
    others = sorted(t.pk for t in tickets if t != tickets[1])
    assert ids_of(Ticket.objects.exclude(pk__any_of=[tickets[1].pk])) == others


def test_an_empty_list_matches_nothing_without_a_query(tickets):
    with CaptureQueriesContext(connection) as queries:
        assert list(Ticket.objects.filter(pk__any_of=[])) == []
    assert queries.captured_queries == []


def test_it_works_on_a_foreign_key_and_through_a_join(tickets, product):
    defect = Defect.objects.create(key="DEF-1", title="Export stalls", product=product)
    TicketDefectLink.objects.create(ticket=tickets[2], defect=defect)
    links = TicketDefectLink.objects.filter(ticket_id__any_of=[t.pk for t in tickets])
    assert [link.ticket_id for link in links] == [tickets[2].pk]
    through = Ticket.objects.filter(defect_links__defect_id__any_of={defect.pk})
    assert ids_of(through) == [tickets[2].pk]


def test_on_postgresql_the_values_are_one_parameter_and_the_query_one_text_for_any_length(tickets):
    if connection.vendor != "postgresql":
        pytest.skip("other databases are sent IN (...), as __in is")
    few = Ticket.objects.filter(pk__any_of=[t.pk for t in tickets[:2]]).values_list("pk")
    many = Ticket.objects.filter(pk__any_of=[t.pk for t in tickets] + list(range(10**6, 10**6 + 45))).values_list("pk")
    few_sql, few_params = few.query.sql_with_params()
    many_sql, many_params = many.query.sql_with_params()
    assert few_sql == many_sql and "= ANY(%s::bigint[])" in many_sql
    [ids] = many_params
    assert ids.startswith("{") and len(ids.strip("{}").split(",")) == 50


def test_on_postgresql_ids_given_as_text_are_read_as_numbers_and_other_values_stay_a_list(tickets):
    if connection.vendor != "postgresql":
        pytest.skip("other databases are sent IN (...), as __in is")
    assert ids_of(Ticket.objects.filter(pk__any_of=[str(tickets[1].pk), tickets[2].pk])) == [
        tickets[1].pk, tickets[2].pk]
    with pytest.raises(ValueError):
        list(Ticket.objects.filter(pk__any_of=["1}, {2"]))
    numbers = Ticket.objects.filter(number__any_of=[tickets[0].number, "x,y}"]).values_list("pk")
    assert list(numbers) == [(tickets[0].pk,)]
    assert numbers.query.sql_with_params()[1] == ([tickets[0].number, "x,y}"],)
