"""The queue (page and API) and the report cost the same number of queries whatever their size."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from enhancements.services.requests import request_link_ticket
from tests.factories import request_from
from tests.querycount import get_query_count
from tickets.models import Customer


def _seed(make_ticket, agent, n: int) -> None:
    start = Customer.objects.count()
    for i in range(start, start + n):
        request = request_from(make_ticket(), agent, title=f"Wish {i}")
        ticket = make_ticket(customer=Customer.objects.create(name=f"Customer {i}"))
        request_link_ticket(ticket=ticket, request=request, importance="blocks_deal", actor=agent, channel="web")


def _page_queries(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_queue_page_and_report_do_not_grow_with_rows(client, make_ticket, agent, product_manager, product):
    _seed(make_ticket, agent, 2)
    urls = ("/requests/", f"/requests/report/?product={product.pk}")
    small = [_page_queries(client, product_manager, url) for url in urls]
    _seed(make_ticket, agent, 6)
    large = [_page_queries(client, product_manager, url) for url in urls]
    assert small == large


def test_the_requests_api_does_not_grow_with_rows(make_ticket, agent, product_manager):
    _seed(make_ticket, agent, 2)
    small = get_query_count(product_manager, "/api/requests/", expect_rows=2)
    _seed(make_ticket, agent, 6)
    assert get_query_count(product_manager, "/api/requests/", expect_rows=8) == small
