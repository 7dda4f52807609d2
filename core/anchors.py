"""Deep pages found from remembered rows instead of by skipping every row before them.

A page 800,000 rows into a list costs PostgreSQL a walk over 800,000 index
entries (`OFFSET`), whatever the index. Once a page has been read, the sort
keys of its first and last rows are remembered ("anchors": position -> key).
A later page is read from the nearest anchor, forwards or backwards, with a
row comparison the index answers at once: `(created_at, id) < (…, …)`.

Anchors hold only while no row moves: they are kept per list (its SQL and
parameters, so per filter, order and reader) and only until the next change
(the newest audit row, and the newest row of the list's table for rows
written without one), as core.charts.cached_until_change keeps figures, and
for a minute at most: two changes committed out of order can leave the first
unseen by the key. A jump to a page nobody has read since the last change
costs what it did.
"""

import hashlib
import time

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThanOrEqual,
    TupleLessThanOrEqual,
)

from core.charts import data_version

# Pages that start this many rows in or more are read from anchors.
ANCHOR_FROM = 5_000
# Anchors kept per list (the most recently found), and for how long.
ANCHORS_KEPT = 256
ANCHORS_SECONDS = 60


class Anchors:
    """The anchors of one list (a queryset ordered by plain columns ending with its primary key)."""

    def __init__(self, queryset, fields: list[str], descending: bool):
        self.queryset = queryset
        self.fields = fields
        self.descending = descending
        sql, params = queryset.values_list("pk").query.sql_with_params()
        digest = hashlib.sha256(f"{sql}\x00{params!r}".encode()).hexdigest()[:32]
        self.key = f"handoff:anchors:{digest}:{data_version(queryset.model)}"

    @classmethod
    def of(cls, queryset) -> "Anchors | None":
        """The list's anchors, or None when its order cannot be sought (then pages are skipped to).

        The order must be of the table's own non-null columns, all one way, ending
        with the primary key: then the keys are unique and a row comparison
        follows the order exactly.
        """
        query = queryset.query
        ordering = list(query.order_by or (queryset.model._meta.ordering if query.default_ordering else ()))
        if not ordering or query.extra_order_by or not all(isinstance(o, str) for o in ordering):
            return None
        directions = {o.startswith("-") for o in ordering}
        if len(directions) != 1:
            return None
        meta = queryset.model._meta
        fields = []
        for name in (o.lstrip("-") for o in ordering):
            try:
                field = meta.pk if name == "pk" else meta.get_field(name)
            except FieldDoesNotExist:
                return None  # an annotation or a related column
            if field.is_relation or field.null or not field.concrete:
                return None
            fields.append(field.attname)
        if fields[-1] != meta.pk.attname:
            return None
        return cls(queryset, fields, descending=directions.pop())

    def ids(self, bottom: int, top: int) -> list:
        """The primary keys of rows bottom..top-1 of the list, read from the nearest anchor."""
        # (when the first of them was found, position -> key): they are kept ANCHORS_SECONDS from
        # then, however often they are read or added to, so a change the key missed is seen in time.
        born, known = cache.get(self.key) or (time.time(), {})
        start, anchor, forwards = self._nearest(known, bottom, top)
        if anchor is None:
            rows = list(self.queryset.values_list(*self.fields)[bottom:top])
        elif forwards:
            rows = list(self._from(anchor, reverse=False).values_list(*self.fields)[bottom - start:top - start])
        else:
            # Backwards from an anchor after the page: its rows come nearest first.
            rows = list(self._from(anchor, reverse=True).values_list(*self.fields)[start + 1 - top:start + 1 - bottom])
            rows.reverse()
        found = {bottom: rows[0], bottom + len(rows) - 1: rows[-1]} if rows else {}
        left = born + ANCHORS_SECONDS - time.time()
        if left > 0 and any(known.get(position) != key for position, key in found.items()):
            known.update(found)
            if len(known) > ANCHORS_KEPT:
                known = dict(list(known.items())[-ANCHORS_KEPT:])
            cache.set(self.key, (born, known), left)
        return [row[-1] for row in rows]

    @staticmethod
    def _nearest(known: dict[int, tuple], bottom: int, top: int) -> tuple[int, tuple | None, bool]:
        """(position, key, forwards) of the start fewest rows away from the page; (0, None, True): the top."""
        best = (bottom, (0, None, True))
        for position, key in known.items():
            if position <= bottom and bottom - position < best[0]:
                best = (bottom - position, (position, key, True))
            elif position >= top - 1 and position - (top - 1) < best[0]:
                best = (position - (top - 1), (position, key, False))
        return best[1]

    def _from(self, anchor: tuple, *, reverse: bool):
        """The list from `anchor` on (reverse: from it back to the top, nearest first), anchor included."""
        columns = Tuple(*[F(name) for name in self.fields])
        after = TupleLessThanOrEqual if self.descending != reverse else TupleGreaterThanOrEqual
        queryset = self.queryset.filter(after(columns, anchor))
        return queryset.reverse() if reverse else queryset
