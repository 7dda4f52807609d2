import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defects.models import Defect
from defects.selectors import similar_defects
from tests.factories import escalate

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search index is PostgreSQL's"),
]


def test_the_stored_search_vector_follows_title_and_description(ticket, agent):
    defect = escalate(
        ticket, agent, title="Ledger export stalls",
        impact="single_user", urgency="degraded", description="Large spreadsheets never finish.",
    )
    Defect.objects.filter(pk=defect.pk).update(description="Payslips arrive blank.")

    assert [d.pk for d in similar_defects(text="blank payslips")] == [defect.pk]
    assert similar_defects(text="spreadsheets") == []


def test_the_similar_defect_query_filters_on_what_the_gin_index_answers(product):
    with CaptureQueriesContext(connection) as queries:
        similar_defects(text="export timeout", product=product)
    # The ranked reads (the rest set their transaction's planning: core/plans.py).
    searches = [q["sql"] for q in queries.captured_queries if "FROM \"defects_defect\"" in q["sql"]]
    assert searches
    for sql in searches:
        assert "defects_defect.search_vector @@ to_tsquery('english', 'export | timeout')" in sql
    # On a handful of rows the planner prefers a scan; forbidding it shows the index fits the predicate.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM defects_defect WHERE search_vector @@ to_tsquery('english', %s)",
            ["export | timeout"],
        )
        assert "defect_search_vector" in "\n".join(row[0] for row in cursor.fetchall())
