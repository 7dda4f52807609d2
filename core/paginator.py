"""Page numbers that stay fast on hundreds of thousands of rows."""

import json
import time
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Count, Window
from django.utils.functional import cached_property
from rest_framework.response import Response

from core.anchors import ANCHOR_FROM, Anchors
from core.pagination import BoundedPagination

COUNT_CAP = 10_000
# A text search reads each match from the table to check it: a list searched counts
# exactly up to this many rows (count_cap), and says "about" beyond.
SEARCH_COUNT_CAP = 500
# The planner's estimate is trusted without a count above this many times COUNT_CAP.
TRUST_ESTIMATE_FACTOR = 5


# The planner's estimates move with the table's statistics (autovacuum's ANALYZE), not
# with each page read: a process keeps each one this long rather than asking on every page.
ESTIMATE_SECONDS = 60.0
ESTIMATES_KEPT = 500
_estimates: dict[tuple, tuple[float, int]] = {}


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's own estimate of the rows the queryset returns; None elsewhere.

    Kept ESTIMATE_SECONDS per query text and parameters in this process.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:
        # An empty queryset (.none(), a filter on an empty list) is never sent to the
        # database, so there is no plan: nothing to estimate, and counting it is free.
        return None
    key, now = (queryset.db, sql, repr(params)), time.monotonic()
    kept = _estimates.get(key)
    if kept is not None and now - kept[0] < ESTIMATE_SECONDS:
        return kept[1]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    # psycopg reads the json column already decoded.
    plan = json.loads(plan) if isinstance(plan, str) else plan
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if len(_estimates) >= ESTIMATES_KEPT:
        _estimates.clear()
    _estimates[key] = (now, estimate)
    return estimate


class BoundedCountPaginator(Paginator):
    """A Paginator whose count stays cheap on big tables; pages are sliced as Paginator's.

    count is exact up to COUNT_CAP rows (counting stops there). Beyond, it is the
    planner's estimate and `count_is_estimate` is true: an exact COUNT(*) over
    200,000 rows costs more than the whole page. When the planner expects over
    TRUST_ESTIMATE_FACTOR times COUNT_CAP rows, far beyond the cap, its estimate is
    taken without counting: 10,000 rows counted through a join cost as much as the
    rest of the page.
    """

    count_is_estimate = False
    # Set when counting stopped at the cap: the list holds more than this many rows for sure.
    counted_past = None

    def __init__(self, *args, count_cap: int | None = None, **kwargs):
        """`count_cap` lowers the cap for lists whose rows cost more to count (a text search)."""
        super().__init__(*args, **kwargs)
        self.count_cap = count_cap

    @cached_property
    def count(self) -> int:
        cap = COUNT_CAP if self.count_cap is None else min(self.count_cap, COUNT_CAP)
        estimate = planner_estimate(self.object_list.values("pk"))
        if estimate is not None and estimate > TRUST_ESTIMATE_FACTOR * COUNT_CAP:
            self.count_is_estimate = True
            return estimate
        bounded = self.object_list.order_by()[: cap + 1].count()
        if bounded <= cap:
            return bounded
        self.count_is_estimate = True
        self.counted_past = cap
        return max(cap + 1, estimate or 0)

    def _bounds(self, number: int) -> tuple[int, int]:
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        # An estimate may fall short of the rows there are: a page is never cut at it.
        if top + self.orphans >= self.count and not self.count_is_estimate:
            top = self.count
        return bottom, top

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom, top = self._bounds(number)
        return self._get_page(self.object_list[bottom:top], number, self)


class LargeTablePaginator(BoundedCountPaginator):
    """BoundedCountPaginator's count, and pages fetched by id.

    - The first page, the one most read, is one query: its rows (with their joins
      and prefetches) at the top of the order. Nothing is skipped there, so the ids
      gain nothing by being read apart.
    - A later page first reads the ids at its offset (an index-only scan), then the
      rows, their joins and prefetches for those ids alone. Skipping rows is then
      cheap even 150,000 rows in: one query more than Paginator, whatever the size.
    - A page far in (ANCHOR_FROM rows or more) is read from the nearest row an
      earlier page remembered (core.anchors), when the order allows: one query
      more, the list's newest change.
    - With `row_fields` a page's rows are dicts of those fields ("pk" among them);
      on a later page they are read for its ids alone: the count and the id scan
      need none of their joins.
    """

    def __init__(self, *args, row_fields: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if row_fields and "pk" not in row_fields:
            raise ValueError('row_fields must include "pk"')
        self.row_fields = tuple(row_fields)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom, top = self._bounds(number)
        if bottom == 0:
            rows = self.object_list.values(*self.row_fields) if self.row_fields else self.object_list
            return self._get_page(list(rows[:top]), number, self)
        anchors = Anchors.of(self.object_list) if bottom >= ANCHOR_FROM else None
        if anchors is not None:
            ids = anchors.ids(bottom, top)
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        if not ids:
            rows = {}
        elif self.row_fields:
            rows = {row["pk"]: row for row in self.object_list.filter(pk__any_of=ids).values(*self.row_fields)}
        else:
            rows = {row.pk: row for row in self.object_list.filter(pk__any_of=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class OneReadPaginator(Paginator):
    """Pages of a values() queryset each read with its count in one query (`COUNT(*) OVER ()`).

    For lists whose count costs as much as their page: the groups of a window of rows
    (core.notifications.notification_group_rows), which Paginator would group twice, once
    to count them and once for the page. The count rides on each row of the page; a page
    past the end reads nothing, and is then counted the usual way to say so.
    """

    TOTAL = "one_read_total"
    FARTHEST_ROW = 10**9

    def page(self, number) -> Page:
        number = self.validate_number_type(number)
        bottom = (number - 1) * self.per_page
        rows = []
        # An absurd page number (?page=10**30) is past any end: counted below, never sent as an offset.
        if bottom < self.FARTHEST_ROW:
            rows = list(self.object_list.annotate(**{self.TOTAL: Window(Count("*"))})[bottom: bottom + self.per_page])
        if rows:
            self.__dict__["count"] = rows[0][self.TOTAL]
        number = self.validate_number(number)
        return self._get_page([{k: v for k, v in row.items() if k != self.TOTAL} for row in rows], number, self)

    def get_page(self, number) -> Page:
        """Paginator.get_page without its count first: a bad number is page 1, one past the end the last."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def validate_number_type(self, number) -> int:
        """A page number as Paginator.validate_number reads it, without counting."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class OneReadPagination(BoundedPagination):
    """BoundedPagination whose pages and count are one read (OneReadPaginator)."""

    django_paginator_class = OneReadPaginator


class LargeTablePagination(BoundedPagination):
    """The API's page numbers (capped page size) with LargeTablePaginator's bounded count.

    `count` is exact up to COUNT_CAP rows and the planner's estimate beyond, which
    `count_is_estimate` says, so that a client never takes "about 250,000" for a tally.
    """

    # With row_fields, a page's rows are dicts of those fields (LargeTablePaginator), which
    # the view writes itself (core.api_views.ValuesListMixin).
    row_fields: tuple[str, ...] = ()

    def django_paginator_class(self, queryset, per_page: int) -> LargeTablePaginator:
        return LargeTablePaginator(queryset, per_page, row_fields=self.row_fields)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response({
            "count": paginator.count, "count_is_estimate": paginator.count_is_estimate,
            "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data,
        })

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count_is_estimate"] = {
            "type": "boolean", "description": f"true when count is the database's estimate (over {COUNT_CAP:,} rows)",
        }
        answer["required"] = [*answer.get("required", []), "count_is_estimate"]
        return answer


@dataclass
class UncountedPage:
    """A page of a ranked list that is never counted: one row more is read to know whether a next page exists.

    For queues read from the top (most wanted first), where "page 3 of 812" tells
    nobody anything and counting every row would cost more than the page.
    """

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.rows)


def uncounted_page(queryset, number, per_page: int, *, max_page: int = 1000) -> UncountedPage:
    """Page `number` (1 when it is not a number; at most `max_page`) of `queryset`, in one read."""
    try:
        number = min(max(int(number), 1), max_page)
    except (TypeError, ValueError):
        number = 1
    bottom = (number - 1) * per_page
    rows = list(queryset[bottom: bottom + per_page + 1])
    return UncountedPage(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)
