"""Queries planned for their values where a plan kept for the connection would be a poor one (core/plans.py)."""

import pytest
from django.db import connection

from core.plans import planned_for_values
from defects.models import Defect
from defects.selectors import similar_defects
from tests.plans import plan_cache_mode, plan_modes

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("plans kept for prepared statements are PostgreSQL's")


def test_a_block_planned_for_its_values_turns_kept_plans_off_for_its_queries(postgres_only):
    with planned_for_values():
        assert plan_cache_mode() == "force_custom_plan"


def test_the_similar_defect_search_is_planned_for_the_words_asked(postgres_only, product):
    defect = Defect.objects.create(
        key="DEF-1", product=product, title="Invoice export times out", description="The PDF export stops.",
        impact="single_user", urgency="degraded", severity="S3", status=Defect.Status.NEW,
    )

    with plan_modes(lambda sql: "search_vector" in sql) as seen:
        found = similar_defects(text="export times out", product=product)

    assert found == [defect]
    assert seen and set(seen) == {"force_custom_plan"}
