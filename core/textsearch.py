"""Which rows a "similar items" search matches: by its rare words, ranked by all of them (PostgreSQL).

A ticket's subject shares words such as "customer" or "report" with a third of all
defects. Matched on any word, such a search ranks tens of thousands of rows to show
ten (ts_rank reads each row's stored vector), and the rows it finds through a common
word alone are not similar anyway. So, as a "common terms" query does:

- words held by more than COMMON_SHARE of the rows (by PostgreSQL's own statistics
  of the column, pg_stats.most_common_elems) only rank rows; the other words decide
  which rows match, any of them;
- when every word is common, a row must hold them all;
- on a table of fewer than MIN_ROWS rows (ranking every match is cheap there), or
  with no statistics (a new table, a column never analysed), every word is rare, and
  the search matches on any word.

The rank is ts_rank over every word either way.
"""

import time

from django.db import connection
from django.db.models import BooleanField, Case, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

COMMON_SHARE = 0.01
MIN_ROWS = 20_000
# Statistics change with ANALYZE (autovacuum, hours apart on a big table): read again
# after this many seconds, per process. Not data: a stale share only moves the line
# between rare and common.
STATS_SECONDS = 600
_shares: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}


def lexeme_shares(table: str, column: str) -> dict[str, float]:
    """The share of rows holding each of the column's most common lexemes (empty without statistics)."""
    if connection.vendor != "postgresql":
        return {}
    key = (table, column)
    now = time.monotonic()
    kept = _shares.get(key)
    if kept and kept[0] > now:
        return kept[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)), "
            "most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
            [table, table, column],
        )
        row = cursor.fetchone()
    shares = {}
    if row and row[0] is not None and row[0] >= MIN_ROWS and row[1]:
        # most_common_elem_freqs ends with three summary figures after one share per lexeme:
        # zip stops at the lexemes.
        shares = dict(zip(row[1], row[2], strict=False))
    _shares[key] = (now + STATS_SECONDS, shares)
    return shares


_lexemes: dict[str, tuple[str, ...]] = {}
LEXEMES_KEPT = 10_000


def lexemes_of(terms: list[str]) -> dict[str, tuple[str, ...]]:
    """The lexemes PostgreSQL's English configuration makes of each word ("reminders" -> remind).

    Fixed for a word, so kept for the process's life (up to LEXEMES_KEPT words); the
    words not seen before are read in one query.
    """
    missing = [term for term in terms if term not in _lexemes]
    if missing:
        if len(_lexemes) > LEXEMES_KEPT:
            _lexemes.clear()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT term, tsvector_to_array(to_tsvector('english', term)) FROM unnest(%s::text[]) AS term",
                [missing],
            )
            _lexemes.update((term, tuple(lexemes)) for term, lexemes in cursor.fetchall())
    return {term: _lexemes.get(term, ()) for term in terms}


def match_and_rank(terms: list[str], *, table: str, column: str) -> tuple[str, str]:
    """(tsquery that picks the rows, tsquery that ranks them) for `terms` on `table`.`column`."""
    ranking = " | ".join(terms)
    shares = lexeme_shares(table, column)
    if not shares:
        return ranking, ranking
    rare, common = [], []
    for term, lexemes in lexemes_of(terms).items():
        if not lexemes:
            continue  # a stop word: no row holds it
        is_common = all(shares.get(lexeme, 0) > COMMON_SHARE for lexeme in lexemes)
        (common if is_common else rare).append(term)
    if rare:
        return " | ".join(rare), ranking
    if common:
        return " & ".join(common), ranking
    return ranking, ranking


def ranked_like(qs: QuerySet, terms: list[str], *, fields: tuple[str, ...]) -> QuerySet:
    """The rows of `qs` like `terms`, each annotated with its `rank` (higher is closer).

    PostgreSQL: the model's stored `search_vector` column and its GIN index (the index
    finds the matches; ranking reads the stored vector instead of parsing every text
    again), matched and ranked as match_and_rank says. Elsewhere: the rows holding a
    term in one of `fields`, ranked by how many terms they hold.
    """
    if connection.vendor == "postgresql":
        table = qs.model._meta.db_table
        match, rank_by = match_and_rank(terms, table=table, column="search_vector")
        matches = RawSQL(
            f"{table}.search_vector @@ to_tsquery('english', %s)", (match,), output_field=BooleanField()
        )
        rank = RawSQL(
            f"ts_rank({table}.search_vector, to_tsquery('english', %s))", (rank_by,), output_field=FloatField()
        )
        return qs.filter(matches).annotate(rank=rank)
    hits = Q()
    score = Value(0, output_field=IntegerField())
    for term in terms:
        hit = Q()
        for name in fields:
            hit |= Q(**{f"{name}__icontains": term})
        hits |= hit
        score = score + Case(When(hit, then=Value(1)), default=Value(0), output_field=IntegerField())
    return qs.filter(hits).annotate(rank=score)
