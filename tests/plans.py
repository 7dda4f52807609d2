"""How PostgreSQL plans the queries a call makes: for their values, or from a plan kept for the connection."""

from contextlib import contextmanager

from django.db import connection


def plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]


@contextmanager
def plan_modes(watched):
    """Yields a list of the plan_cache_mode each query runs under for which `watched(sql)` is true."""
    seen = []

    def watch(execute, sql, params, many, context):
        if watched(sql):
            seen.append(plan_cache_mode())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield seen
