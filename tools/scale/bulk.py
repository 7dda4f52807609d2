"""Fast bulk writes for seeding: ids reserved up front, rows written by COPY on PostgreSQL.

Rows are dicts keyed by field attname (``customer_id``, not ``customer``) and
are written as they are: no ``save()``, no signals, no ``auto_now`` stamping,
so seeded timestamps keep their spread over the years.
"""

import datetime
import itertools
import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, models

BATCH = 5_000


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys no other writer will get, ascending.

    PostgreSQL hands them out from the table's own sequence, so later inserts
    by the services carry on after them. SQLite's AUTOINCREMENT follows the
    largest id written, so the next free range is enough there.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f'SELECT COALESCE(MAX("{pk_column}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def _columns(model: type[models.Model], given: Sequence[str]) -> tuple[list[models.Field], dict]:
    """Every concrete column (the pk only when given), and defaults for those the rows leave out.

    Columns added to a model later get their declared default, so seeding keeps
    working as models grow.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in given]
    unknown = set(given) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in given}
    return fields, defaults


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in COPY's text format. Formatting rows ourselves is several times faster."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


@contextmanager
def foreign_key_checks_skipped():
    """Skip PostgreSQL's per-row foreign-key triggers for a bulk load, when allowed.

    The seed builds every reference from ids it has just written, so the
    checks only cost time: a million deferred trigger calls at commit. Needs a
    superuser; anyone else loads with the checks on, just slower.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        allowed = bool(cursor.fetchone()[0])
        if allowed:
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        if allowed:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@contextmanager
def indexes_built_after(models_: Iterable[type[models.Model]]):
    """Drop the plain indexes of these tables for a bulk load and build them again at the end.

    PostgreSQL builds an index over a loaded table several times faster than it
    keeps it up row by row during COPY (a GIN index on text most of all), and
    builds the big ones with parallel workers. Primary keys and the indexes
    behind unique constraints stay: the load is checked against them as it goes.
    Inside the caller's transaction, so a failed load leaves every index as it was.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND pg_table_is_visible(t.oid)
              AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """,
            [tables],
        )
        dropped = cursor.fetchall()
        for name, _ in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        for _, definition in dropped:
            cursor.execute(definition)


def write_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """Insert the rows into the model's table; every row has the same keys. Returns the count."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    fields, defaults = _columns(model, list(first))
    attnames = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    written = 0

    def all_rows():
        for row in itertools.chain([first], iterator):
            yield {**defaults, **row} if defaults else row

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than INSERT for hundreds of thousands of rows.
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                lines: list[str] = []
                for row in all_rows():
                    lines.append("\t".join([_copy_text(row[name]) for name in attnames]))
                    if len(lines) >= BATCH:
                        copy.write("\n".join(lines) + "\n")
                        written += len(lines)
                        lines = []
                if lines:
                    copy.write("\n".join(lines) + "\n")
                    written += len(lines)
            return written
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"
        batch: list[list] = []
        for row in all_rows():
            batch.append(
                [field.get_db_prep_save(row[name], connection) for field, name in zip(fields, attnames, strict=True)]
            )
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def analyze(models_: Iterable[type[models.Model]]) -> None:
    """Refresh the planner's statistics after a bulk load, so the indexes get used.

    Outside a transaction it also vacuums, which marks the new pages all-visible:
    without that, index-only scans (counts, deep pages) still visit every row.
    """
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
