"""Queries planned for their values where a plan kept for the connection would be a poor one (core/plans.py)."""

import pytest
from django.db import connection

from core.plans import planned_for_values
from defects.models import Defect
from defects.selectors import similar_defects

pytestmark = pytest.mark.django_db


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("plans kept for prepared statements are PostgreSQL's")


def test_a_block_planned_for_its_values_turns_kept_plans_off_for_its_queries(postgres_only):
    with planned_for_values():
        assert _setting() == "force_custom_plan"


def test_the_similar_defect_search_is_planned_for_the_words_asked(postgres_only, product):
    defect = Defect.objects.create(
        key="DEF-1", product=product, title="Invoice export times out", description="The PDF export stops.",
        impact="single_user", urgency="degraded", severity="S3", status=Defect.Status.NEW,
    )
    seen = []

    def watch(execute, sql, params, many, context):
        if "search_vector" in sql:
            seen.append(_setting())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        found = similar_defects(text="export times out", product=product)

    assert found == [defect]
    assert seen and set(seen) == {"force_custom_plan"}
