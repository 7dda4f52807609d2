"""Deep pages read from remembered rows (core.anchors) hold exactly the rows that skipping reads."""

import random
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import paginator as large
from core.anchors import Anchors
from tickets.models import Contact, Customer

pytestmark = pytest.mark.django_db

PER_PAGE = 7


@pytest.fixture(autouse=True)
def anchors_from_the_third_page(monkeypatch):
    monkeypatch.setattr(large, "ANCHOR_FROM", 2 * PER_PAGE)


@pytest.fixture
def contacts():
    # Names that repeat, so that the id decides between equal names.
    acme = Customer.objects.create(name="Acme")
    Contact.objects.bulk_create(
        Contact(customer=acme, name=f"Contact {n % 40:02d}", email=f"c{n}@acme.test") for n in range(150)
    )
    return acme


def _ids(page) -> list[int]:
    return [row.pk for row in page]


def _id_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]]


@pytest.mark.parametrize("order", [("name", "id"), ("-name", "-id")])
def test_pages_read_from_anchors_hold_the_rows_skipping_reads(contacts, order):
    listed = Contact.objects.order_by(*order)
    plain = Paginator(listed, PER_PAGE)
    numbers = list(plain.page_range) * 3
    random.Random(7).shuffle(numbers)
    for number in numbers:  # forwards, backwards and far jumps, with anchors piling up
        assert _ids(large.LargeTablePaginator(listed, PER_PAGE).page(number)) == _ids(plain.page(number)), number


def test_a_page_read_again_is_found_from_its_anchor_not_skipped_to(contacts):
    listed = Contact.objects.order_by("name", "id")
    with CaptureQueriesContext(connection) as first:
        large.LargeTablePaginator(listed, PER_PAGE).page(15)
    with CaptureQueriesContext(connection) as again:
        large.LargeTablePaginator(listed, PER_PAGE).page(15)
    with CaptureQueriesContext(connection) as next_page:
        large.LargeTablePaginator(listed, PER_PAGE).page(16)
    assert "OFFSET 98" in _id_queries(first)[0]
    # From the page's own first row, then from its last: a row comparison, nothing skipped.
    sought = _id_queries(again)[0]
    assert "OFFSET" not in sought and "WHERE" in sought
    if connection.vendor == "postgresql":  # a row comparison, which the (name, id) index answers
        assert '("tickets_contact"."name", "tickets_contact"."id") >= (' in sought
    assert "OFFSET 1" in _id_queries(next_page)[0] and "OFFSET 98" not in _id_queries(next_page)[0]
    # One query more than a first page: the list's newest change, which keys the anchors.
    assert len(again) == len(first)


def test_a_row_written_without_an_audit_row_drops_the_anchors(contacts):
    listed = Contact.objects.order_by("name", "id")
    large.LargeTablePaginator(listed, PER_PAGE).page(10)
    Contact.objects.create(customer=contacts, name="Aardvark")  # sorts first: every row moves one place
    assert _ids(large.LargeTablePaginator(listed, PER_PAGE).page(10)) == _ids(Paginator(listed, PER_PAGE).page(10))


def test_each_list_keeps_its_own_anchors(contacts):
    everyone = Contact.objects.order_by("name", "id")
    some = Contact.objects.filter(name__gte="Contact 20").order_by("name", "id")
    large.LargeTablePaginator(everyone, PER_PAGE).page(4)
    assert _ids(large.LargeTablePaginator(some, PER_PAGE).page(4)) == _ids(Paginator(some, PER_PAGE).page(4))


@pytest.mark.parametrize("order", [
    ("name", "-id"),  # two ways: no single row comparison follows it
    ("name",),  # not ending with the key: rows could tie
    ("customer", "id"),  # a related model's own order
    ("customer__name", "id"),  # another table's column
])
def test_orders_that_cannot_be_sought_are_skipped_to_as_before(order):
    assert Anchors.of(Contact.objects.order_by(*order)) is None


def test_a_nullable_column_cannot_be_sought():
    from tickets.models import Ticket

    assert Ticket._meta.get_field("assignee").null
    assert Anchors.of(Ticket.objects.order_by("assignee_id", "id")) is None
    assert Anchors.of(Ticket.objects.order_by("-created_at", "-id")) is not None


def test_anchors_are_kept_a_minute_from_the_first_however_often_they_are_read(contacts, monkeypatch):
    from core import anchors as module

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(module, "time", SimpleNamespace(time=lambda: clock.now))
    sets = []
    real_set = module.cache.set

    def kept(key, value, timeout):
        sets.append(timeout)
        real_set(key, value, timeout)

    monkeypatch.setattr(module.cache, "set", kept)
    listed = Contact.objects.order_by("name", "id")

    large.LargeTablePaginator(listed, PER_PAGE).page(15)
    assert sets == [module.ANCHORS_SECONDS]
    clock.now = 1030.0
    large.LargeTablePaginator(listed, PER_PAGE).page(15)  # nothing new found: nothing written
    large.LargeTablePaginator(listed, PER_PAGE).page(16)  # new anchors: kept only what is left of the minute
    assert sets == [module.ANCHORS_SECONDS, 30.0]
    clock.now = 1070.0
    large.LargeTablePaginator(listed, PER_PAGE).page(17)  # past the minute: not kept longer
    assert sets == [module.ANCHORS_SECONDS, 30.0]
