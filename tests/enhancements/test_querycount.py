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


def test_a_wanted_requests_page_pages_its_tickets_and_names_its_weightiest_customers(
    client, make_ticket, agent, product_manager, monkeypatch,
):
    from enhancements import views

    monkeypatch.setattr(views, "LINKS_PAGE", 3)
    monkeypatch.setattr(views, "SHOWN_CUSTOMERS", 2)
    request = request_from(make_ticket(), agent, title="Wanted", importance="nice_to_have")

    def ask(n: int) -> None:
        for _ in range(n):
            customer = Customer.objects.create(name=f"Asker {Customer.objects.count():03d}", tier="strategic")
            request_link_ticket(ticket=make_ticket(customer=customer), request=request, importance="blocks_deal",
                                actor=agent, channel="web")

    ask(3)
    url = f"/requests/{request.pk}/"
    small = _page_queries(client, product_manager, url)
    ask(5)
    assert _page_queries(client, product_manager, url) == small
    page = client.get(url).content.decode()
    who = page[page.index('id="who-asks"'):page.index('id="asking-tickets"')]
    assert who.count("<tr>") == 1 + 2 and "Asker" in who and "and 7 more customers" in who
    tickets = page[page.index('id="asking-tickets"'):page.index("</section>", page.index('id="asking-tickets"'))]
    assert tickets.count("<tr>") == 1 + 3 and "Page 1 of 3" in tickets
    last = client.get(url, {"page": 3}).content.decode()
    last = last[last.index('id="asking-tickets"'):last.index("</section>", last.index('id="asking-tickets"'))]
    assert "Acme Corp" in last and last.count("<tr>") == 1 + 3  # the first ask, on the last page


def test_the_queue_pages_from_the_most_wanted_without_counting(client, make_ticket, agent, product_manager,
                                                               monkeypatch):
    from enhancements import views

    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    _seed(make_ticket, agent, 5)
    client.force_login(product_manager)
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/requests/").content.decode()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert first.count('name="requests"') == 2 and "Less wanted" in first and "More wanted" not in first
    last = client.get("/requests/", {"page": 3}).content.decode()
    assert last.count('name="requests"') == 1 and "More wanted" in last and "Less wanted" not in last
    assert client.get("/requests/", {"page": "x"}).status_code == 200
