"""The similar-request search on PostgreSQL: the stored search vector and its GIN index (as defects')."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enhancements.models import EnhancementRequest
from enhancements.selectors import similar_requests
from tests.factories import request_from
from tests.plans import plan_modes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search index is PostgreSQL's"),
]


def test_the_stored_search_vector_follows_title_and_problem(make_ticket, agent):
    request = request_from(make_ticket(), agent, title="Ledger export per cost centre",
                           problem="Controllers split the ledger by hand.")
    EnhancementRequest.objects.filter(pk=request.pk).update(problem="Payslips should list overtime.")
    assert [r.pk for r in similar_requests(text="overtime on payslips")] == [request.pk]
    assert similar_requests(text="controllers") == []


def test_the_similar_request_query_filters_on_what_the_gin_index_answers(product):
    with CaptureQueriesContext(connection) as queries:
        similar_requests(text="export ledger", product=product)
    # The ranked reads (the rest set their transaction's planning: core/plans.py).
    searches = [q["sql"] for q in queries.captured_queries if "FROM \"enhancements_enhancementrequest\"" in q["sql"]]
    assert searches
    for sql in searches:
        assert "search_vector @@ to_tsquery('english', 'export | ledger')" in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM enhancements_enhancementrequest WHERE search_vector @@ to_tsquery('english', %s)",
            ["export | ledger"],
        )
        assert "request_search_vector" in "\n".join(row[0] for row in cursor.fetchall())


def test_the_similar_request_search_is_planned_for_the_words_asked(make_ticket, agent):
    request = request_from(make_ticket(), agent, title="Ledger export per cost centre",
                           problem="Controllers split the ledger by hand.")

    with plan_modes(lambda sql: "search_vector" in sql) as seen:
        found = similar_requests(text="ledger export")

    assert found == [request]
    assert seen and set(seen) == {"force_custom_plan"}
