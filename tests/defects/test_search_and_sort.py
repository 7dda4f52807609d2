"""The defect list and the triage queue as work lists: text search, sortable columns, saved views."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from core.models import Channel
from core.saved_views import saved_view_save
from defects.models import Defect
from defects.selectors import search_defects
from defects.severity import Impact, Urgency
from tests.factories import escalate, link, move
from tests.querycount import page_query_count

pytestmark = pytest.mark.django_db
LIST = reverse("defects:list")
QUEUE = reverse("defects:queue")
S = Defect.Status


def keys(response) -> list[str]:
    return re.findall(r'<a href="/defects/\d+/">(DEF-\d+)</a>', response.content.decode())


@pytest.fixture
def three(make_ticket, agent, other_customer):
    """An S3 invoice rounding bug, an S2 PDF timeout with two customers, an S1 login loop."""
    rounding = escalate(make_ticket(), agent, title="Invoice totals round the wrong way",
                        impact=Impact.SINGLE_USER, urgency=Urgency.DEGRADED,
                        description="Cents are lost on every invoice.")
    timeout = escalate(make_ticket(), agent, title="PDF export times out",
                       description="Large invoices never finish exporting.")
    link(make_ticket(customer=other_customer), timeout, agent)
    login = escalate(make_ticket(), agent, title="Login loops back", impact=Impact.MULTIPLE_CUSTOMERS,
                     urgency=Urgency.BLOCKED, description="Safari users cannot sign in.")
    return rounding, timeout, login


# Search


def test_search_finds_a_defect_by_its_key_in_any_case(three):
    rounding, _, _ = three
    assert list(search_defects(Defect.objects.all(), rounding.key.lower())) == [rounding]


def test_search_needs_every_word_in_the_title_or_the_description(three):
    rounding, timeout, _ = three
    found = search_defects(Defect.objects.order_by("id"), "invoice")
    assert list(found) == [rounding, timeout]
    assert list(search_defects(Defect.objects.all(), "invoices exporting")) == [timeout]
    assert list(search_defects(Defect.objects.all(), "invoice safari")) == []


def test_a_search_with_no_long_word_looks_in_the_titles(three):
    _, timeout, _ = three
    assert list(search_defects(Defect.objects.all(), "PD")) == [timeout]


def test_the_defect_list_and_the_queue_search_by_words(client, engineer, three):
    rounding, timeout, login = three
    client.force_login(engineer)

    assert keys(client.get(LIST, {"q": "invoice"})) == [timeout.key, rounding.key]
    assert keys(client.get(QUEUE, {"team": "mine", "status": "open", "q": "sign in safari"})) == [login.key]
    assert 'name="q" value="sign in safari"' in client.get(QUEUE, {"q": "sign in safari"}).content.decode()


def test_the_api_searches_and_sorts_defects_as_the_pages_do(api, engineer, three):
    rounding, timeout, login = three

    def found(**params):
        response = api(engineer).get("/api/defects/", params)
        assert response.status_code == 200, response.content
        return [row["key"] for row in response.json()["results"]]

    assert found(search="invoice") == [timeout.key, rounding.key]
    assert found(sort="-customers") == [timeout.key, login.key, rounding.key]
    assert found(sort="key") == [rounding.key, timeout.key, login.key]
    assert api(engineer).get("/api/defects/", {"sort": "description"}).status_code == 400


# Sorting


def test_the_defect_list_sorts_by_its_columns_and_keeps_the_triage_order_by_default(client, agent, three):
    rounding, timeout, login = three
    client.force_login(agent)

    assert keys(client.get(LIST)) == [login.key, timeout.key, rounding.key]
    assert keys(client.get(LIST, {"sort": "-severity"})) == [rounding.key, timeout.key, login.key]
    assert keys(client.get(LIST, {"sort": "-key"})) == [login.key, timeout.key, rounding.key]
    assert keys(client.get(LIST, {"sort": "title"})) == [rounding.key, login.key, timeout.key]
    assert keys(client.get(LIST, {"sort": "-customers"})) == [timeout.key, login.key, rounding.key]
    assert keys(client.get(LIST, {"sort": "-tickets"})) == [timeout.key, login.key, rounding.key]
    html = client.get(LIST, {"sort": "-customers"}).content.decode()
    assert '<th scope="col" aria-sort="descending"><a class="sort-link" href="?sort=customers">Customers' in html
    assert "most severe and widest impact first" not in html


def test_the_queue_sorts_by_age_status_and_counts(client, engineer, agent, three):
    rounding, timeout, login = three
    move(rounding, S.TRIAGE, engineer)
    client.force_login(engineer)

    assert keys(client.get(QUEUE)) == [login.key, timeout.key, rounding.key]
    assert keys(client.get(QUEUE, {"sort": "created"})) == [rounding.key, timeout.key, login.key]
    # By status (New before Triage), the triage order within one.
    assert keys(client.get(QUEUE, {"sort": "status"})) == [login.key, timeout.key, rounding.key]
    assert keys(client.get(QUEUE, {"sort": "-status"})) == [rounding.key, timeout.key, login.key]


def test_a_sorted_or_later_page_of_the_default_queue_is_still_my_teams_open_defects(
    client, engineer, agent, make_ticket, other_team
):
    mine = escalate(make_ticket(), agent, title="Mine")
    theirs = escalate(make_ticket(), agent, title="Theirs")
    Defect.objects.filter(pk=theirs.pk).update(team=other_team)
    closed = escalate(make_ticket(), agent, title="Closed")
    move(closed, S.WONT_FIX, engineer, reason="No")
    client.force_login(engineer)

    assert keys(client.get(QUEUE, {"sort": "-created"})) == [mine.key]
    assert keys(client.get(QUEUE, {"page": "1"})) == [mine.key]
    everything = client.get(QUEUE, {"team": "", "status": "", "sort": "key"})
    assert keys(everything) == [mine.key, theirs.key, closed.key]


def test_the_queue_offers_saved_views_and_a_select_all_box(client, engineer, manager, three):
    saved_view_save(owner=manager, list_name="queue", name="Needs information", query="team=&status=needs_info",
                    shared=True, channel=Channel.WEB)
    client.force_login(engineer)

    html = client.get(QUEUE).content.decode()

    assert '<a href="/defects/queue/?status=needs_info">Needs information</a>' in html
    assert '<input type="checkbox" data-select-all="defects" aria-label="Select every defect on this page"' in html


def test_the_defect_list_and_the_queue_cost_the_same_queries_sorted_searched_or_saved_for_3_or_30_defects(
    engineer, manager, agent, make_ticket, release
):
    saved_view_save(owner=manager, list_name="defects", name="Shared", query="sort=-customers", shared=True,
                    channel=Channel.WEB)
    saved_view_save(owner=engineer, list_name="queue", name="Mine", query="sort=created", channel=Channel.WEB)
    urls = [f"{LIST}?sort=-customers", f"{LIST}?q=export&sort=title", f"{QUEUE}?sort=created",
            f"{QUEUE}?team=mine&status=open&q=export&sort=-tickets"]

    def make(count):
        for _ in range(count):
            defect = escalate(make_ticket(), agent, title="PDF export times out")
            Defect.objects.filter(pk=defect.pk).update(planned_release=release)

    make(3)
    few = [page_query_count(engineer, url) for url in urls]
    make(27)
    assert [page_query_count(engineer, url, expect_rows=30) for url in urls] == few
    assert max(few) <= 16, few


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search index is PostgreSQL's")
def test_on_postgresql_the_search_reads_the_stored_search_vector_by_word_beginnings(three):
    from django.test.utils import CaptureQueriesContext

    rounding, timeout, _ = three
    with CaptureQueriesContext(connection) as queries:
        found = list(search_defects(Defect.objects.order_by("id"), "invoic export"))
    assert found == [timeout]
    assert "search_vector @@ to_tsquery('english', 'invoic:* & export:*')" in queries.captured_queries[0]["sql"]
