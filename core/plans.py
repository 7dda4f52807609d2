"""Queries PostgreSQL must plan for the values they run with, not from a plan kept for the connection.

With prepared statements (DATABASE_PREPARED_STATEMENTS) PostgreSQL may keep one generic
plan per query for its connection, made without seeing the parameters. That suits most
reads, whose best plan does not depend on the values, and saves planning them on every
request. It does not suit two kinds, which set plan_cache_mode for their transaction:

- a text search, whose cost depends on the words asked for: the similar-defect search
  took 220 ms with a kept plan and 50 ms planned each time, at a million tickets;
- a queue that a burst fills faster than the statistics follow, read through partial
  indexes a generic plan cannot use: an outbox claim took 134 ms with a kept plan and
  1.4 ms planned each time, during a burst of 10,000 rows.
"""

from contextlib import contextmanager

from django.db import connection, transaction


def plan_for_values() -> None:
    """Plan the rest of the current transaction's queries for their values (call inside atomic())."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")


@contextmanager
def planned_for_values():
    """A transaction whose queries are planned for their values."""
    with transaction.atomic():
        plan_for_values()
        yield
