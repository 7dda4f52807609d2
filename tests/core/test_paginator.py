import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import paginator as large
from tickets.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers():
    Customer.objects.bulk_create(Customer(name=f"Customer {n:03d}") for n in range(23))
    return Customer.objects.order_by("name")


def test_pages_hold_the_same_rows_in_the_same_order_as_a_plain_paginator(customers):
    plain, fast = Paginator(customers, 5), large.LargeTablePaginator(customers, 5)

    assert fast.count == plain.count == 23
    assert not fast.count_is_estimate
    for number in plain.page_range:
        assert list(fast.page(number)) == list(plain.page(number))


def test_the_first_page_is_one_query_and_a_deep_page_two_whatever_the_depth(customers):
    fast = large.LargeTablePaginator(customers, 5)
    fast.count  # noqa: B018 - counted once here, so no measured page pays for the count
    with CaptureQueriesContext(connection) as first:
        assert [c.name for c in fast.page(1)] == [f"Customer {n:03d}" for n in range(5)]
    with CaptureQueriesContext(connection) as second:
        list(fast.page(2))
    with CaptureQueriesContext(connection) as deep:
        list(fast.page(5))
    assert len(first) == 1
    assert len(second) == len(deep) == 2


def test_beyond_the_cap_the_count_stops_and_says_it_is_an_estimate(customers, monkeypatch):
    monkeypatch.setattr(large, "COUNT_CAP", 10)
    fast = large.LargeTablePaginator(customers, 5)

    assert fast.count > 10
    assert fast.count_is_estimate
    assert [c.name for c in fast.page(3)] == [f"Customer {n:03d}" for n in range(10, 15)]


def test_the_ticket_list_says_about_when_the_count_is_an_estimate(client, agent, make_ticket, monkeypatch):
    monkeypatch.setattr(large, "COUNT_CAP", 2)
    for n in range(4):
        make_ticket(subject=f"Ticket {n}")
    client.force_login(agent)

    html = client.get("/tickets/").content.decode()

    assert "About " in html and " tickets" in html


def test_the_defect_list_stops_counting_at_the_cap_and_says_about(client, engineer, product, monkeypatch):
    from defects.models import Defect

    monkeypatch.setattr(large, "COUNT_CAP", 2)
    for n in range(4):
        Defect.objects.create(key=f"DEF-{n}", title=f"Defect {n}", product=product)
    client.force_login(engineer)

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/defects/").content.decode()

    # Counting stopped one past the cap (or, on PostgreSQL, the planner's estimate was taken).
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) <= 1 and all("LIMIT 3" in sql for sql in counts)
    assert 'id="defect-count">About ' in html and all(f"Defect {n}" in html for n in range(4))


def test_a_searched_defect_list_stops_counting_sooner(client, engineer, product, monkeypatch):
    from defects import views
    from defects.models import Defect

    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 2)
    for n in range(4):
        Defect.objects.create(key=f"DEF-{n}", title=f"Export stalls {n}", product=product)
    client.force_login(engineer)

    searched = client.get("/defects/", {"q": "export"}).content.decode()
    listed = client.get("/defects/").content.decode()

    assert "More than 2 defects match" in searched and all(f"Export stalls {n}" in searched for n in range(4))
    assert 'id="defect-count">4 defects' in listed  # unsearched: the usual cap


def test_a_lower_count_cap_stops_counting_sooner(customers):
    fast = large.LargeTablePaginator(customers, 5, count_cap=10)

    assert fast.count > 10
    assert fast.count_is_estimate
    assert [c.name for c in fast.page(2)] == [f"Customer {n:03d}" for n in range(5, 10)]
    assert large.LargeTablePaginator(customers, 5, count_cap=50).count == 23


def test_an_estimate_far_beyond_the_cap_is_taken_without_counting(customers, monkeypatch):
    monkeypatch.setattr(large, "COUNT_CAP", 4)
    monkeypatch.setattr(large, "planner_estimate", lambda queryset: 21)
    fast = large.LargeTablePaginator(customers, 5)

    with CaptureQueriesContext(connection) as queries:
        assert fast.count == 21
    assert fast.count_is_estimate
    assert not queries.captured_queries


def test_an_estimate_near_the_cap_is_checked_by_counting(customers, monkeypatch):
    monkeypatch.setattr(large, "COUNT_CAP", 10)
    monkeypatch.setattr(large, "planner_estimate", lambda queryset: 40)
    fast = large.LargeTablePaginator(customers, 5)

    assert fast.count == 40 and fast.count_is_estimate
    monkeypatch.setattr(large, "COUNT_CAP", 100)
    exact = large.LargeTablePaginator(customers, 5)
    assert exact.count == 23 and not exact.count_is_estimate


def test_row_fields_read_the_page_as_dicts_in_order_and_the_ids_without_their_joins():
    from tickets.models import Contact

    acme = Customer.objects.create(name="Acme")
    Contact.objects.bulk_create(
        Contact(customer=acme, name=f"Contact {n:02d}", email=f"c{n}@acme.test") for n in range(12)
    )
    contacts = Contact.objects.order_by("-name")
    fast = large.LargeTablePaginator(contacts, 5, row_fields=("pk", "name", "customer__name"))

    with CaptureQueriesContext(connection) as queries:
        rows = list(fast.page(2))

    assert [row["name"] for row in rows] == [f"Contact {n:02d}" for n in range(6, 1, -1)]
    assert {row["customer__name"] for row in rows} == {"Acme"}
    ids_read, rows_read = [q["sql"] for q in queries.captured_queries][-2:]
    assert " JOIN " not in ids_read and " JOIN " in rows_read


def test_row_fields_on_the_first_page_are_read_with_their_joins_in_one_query():
    from tickets.models import Contact

    acme = Customer.objects.create(name="Acme")
    Contact.objects.bulk_create(
        Contact(customer=acme, name=f"Contact {n:02d}", email=f"c{n}@acme.test") for n in range(12)
    )
    fast = large.LargeTablePaginator(Contact.objects.order_by("-name"), 5, row_fields=("pk", "name", "customer__name"))
    fast.count  # noqa: B018 - counted apart

    with CaptureQueriesContext(connection) as queries:
        rows = list(fast.page(1))

    assert [(row["name"], row["customer__name"]) for row in rows] == [
        (f"Contact {n:02d}", "Acme") for n in range(11, 6, -1)
    ]
    assert len(queries) == 1 and " JOIN " in queries.captured_queries[0]["sql"]


def test_row_fields_must_include_the_primary_key(customers):
    with pytest.raises(ValueError):
        large.LargeTablePaginator(customers, 5, row_fields=("name",))


def test_an_empty_queryset_counts_as_no_rows_on_every_database():
    from tickets.models import Ticket

    paginator = large.LargeTablePaginator(Ticket.objects.none().order_by("-id"), 50)

    assert paginator.count == 0 and not paginator.count_is_estimate
    assert list(paginator.get_page(1).object_list) == []


def test_the_api_lists_of_defects_and_builds_count_to_the_cap_and_say_so(api, engineer, product, monkeypatch):
    from defects.models import Defect
    from releases.code.models import Build, Repository

    monkeypatch.setattr(large, "COUNT_CAP", 2)
    for n in range(4):
        Defect.objects.create(key=f"DEF-{n}", title=f"Defect {n}", product=product)
    repository = Repository.objects.create(name="app", product=product, url="https://git.example.com/app.git")
    Build.objects.bulk_create(
        Build(repository=repository, sha="a" * 40, number=str(n), status=Build.Status.PASSED) for n in range(4)
    )
    client = api(engineer)

    for path in ("/api/defects/", "/api/builds/"):
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(path)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        # Counting stopped one past the cap (or the planner's estimate was taken), and the answer says so.
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert len(counts) <= 1 and all("LIMIT 3" in sql for sql in counts), path
        assert body["count_is_estimate"] is True and body["count"] >= 3, path
        assert len(body["results"]) == 4, path


def test_under_the_cap_an_api_count_is_exact(api, agent, make_ticket):
    for n in range(3):
        make_ticket(subject=f"Ticket {n}")

    body = api(agent).get("/api/tickets/").json()

    assert body["count"] == 3 and body["count_is_estimate"] is False
    assert list(body) == ["count", "count_is_estimate", "next", "previous", "results"]


def _groups():
    """A grouped read, as the notification list's: one row per name, with how many customers bear it."""
    from django.db.models import Count

    return Customer.objects.values("name").annotate(n=Count("id")).order_by("name")


def test_one_read_pages_hold_the_same_rows_and_count_as_a_plain_paginator_in_one_query_each(customers):
    plain, one = Paginator(_groups(), 5), large.OneReadPaginator(_groups(), 5)
    for number in plain.page_range:
        with CaptureQueriesContext(connection) as read:
            page = one.page(number)
        assert len(read) == 1
        assert list(page) == list(plain.page(number))
        assert one.count == 23 and one.num_pages == 5
        one = large.OneReadPaginator(_groups(), 5)


def test_one_read_get_page_clamps_as_paginator_does_and_an_empty_list_has_one_empty_page(customers):
    one = large.OneReadPaginator(_groups(), 5)
    assert one.get_page(99).number == 5 and len(one.get_page(99)) == 3
    assert large.OneReadPaginator(_groups(), 5).get_page("x").number == 1
    with pytest.raises(large.EmptyPage):
        large.OneReadPaginator(_groups(), 5).page(6)
    with pytest.raises(large.EmptyPage):
        large.OneReadPaginator(_groups(), 5).page(10**30)
    empty = large.OneReadPaginator(_groups().none(), 5).get_page(1)
    assert list(empty) == [] and empty.paginator.count == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")
def test_an_estimate_is_asked_once_per_query_and_kept_a_while(customers, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(large.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(large, "_estimates", {})
    monkeypatch.setattr(large, "ESTIMATE_SECONDS", 60.0)  # as served (tests/conftest.py asks each time)
    named = customers.filter(name__startswith="Customer")

    with CaptureQueriesContext(connection) as asked:
        first = large.planner_estimate(named.values("pk"))
        again = large.planner_estimate(named.values("pk"))
        other = large.planner_estimate(customers.filter(name__startswith="Other").values("pk"))
    clock[0] += large.ESTIMATE_SECONDS + 1
    with CaptureQueriesContext(connection) as later:
        large.planner_estimate(named.values("pk"))

    assert first == again and first >= 1 and other >= 0
    assert [q["sql"].startswith("EXPLAIN") for q in asked.captured_queries] == [True, True]
    assert len(later) == 1


def test_an_empty_queryset_has_no_estimate_and_asks_nothing(customers):
    with CaptureQueriesContext(connection) as asked:
        assert large.planner_estimate(customers.none()) is None
    assert len(asked) == 0
