"""Sortable lists: a whitelist of sort keys per list, and the column headers that choose one.

A list offers a few keys (`?sort=updated`, `?sort=-updated` for the other way), each
one an ordering that ends with the primary key, so pages never overlap, and that an
index of the list's table serves in both directions (PostgreSQL reads a B-tree index
backwards for the exact reverse order). Anything else in `?sort=` is ignored and the
list keeps its default order: a sort key never reaches order_by() unchecked.
"""

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.safestring import SafeString

from core.jinja2 import render_fragment

ASCENDING, DESCENDING = "ascending", "descending"


def reverse_field(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


@dataclass(frozen=True)
class SortKey:
    """One way a list can be sorted: its ascending `fields`; `-key` reverses every one of them.

    `first` is the direction a click on the column's header sorts in first (newest or
    largest first reads better for dates and counts).
    """

    fields: tuple[str, ...]
    first: str = ASCENDING


@dataclass(frozen=True)
class Column:
    """A list's column header: `key` names its SortKey (None: not sortable)."""

    label: str
    key: str | None = None
    # A column whose header is read by screen readers only (a row's checkbox).
    hidden: bool = False
    # The header holds the "select every row" checkbox (shown by static/js/worklists.js).
    select_all: str = ""


class Sorting:
    """The sort keys a list allows and its default (`"-created"`: a key, "-" for descending)."""

    PARAM = "sort"

    def __init__(self, keys: dict[str, SortKey], default: str):
        self.keys = keys
        if self._split(default) is None:
            raise ValueError(f"the default sort {default!r} is not one of the keys")
        self.default = default

    def _split(self, value) -> tuple[str, bool] | None:
        """(key, descending) of a `?sort=` value, or None when it names no key."""
        if not isinstance(value, str):
            return None
        descending = value.startswith("-")
        key = value[1:] if descending else value
        return (key, descending) if key in self.keys else None

    def chosen(self, value) -> str:
        """`value` when it names a key (either way), else the default."""
        return value if self._split(value) is not None else self.default

    def choices(self) -> list[tuple[str, str]]:
        """Every value `?sort=` takes, for an API filter: each key, then each key reversed."""
        return [(key, key) for key in self.keys] + [(f"-{key}", f"-{key}") for key in self.keys]

    def order_by(self, value) -> tuple[str, ...]:
        """The order_by() fields of a `?sort=` value (the default's for anything else)."""
        key, descending = self._split(self.chosen(value))
        fields = self.keys[key].fields
        return tuple(reverse_field(name) for name in fields) if descending else fields

    def headers(self, query: QueryDict, columns: list[Column]) -> list[dict]:
        """Each column's header: a link that sorts by it (keeping the filters, back to page 1), and
        `sort` ("ascending"/"descending", for aria-sort) on the column the list is sorted by."""
        key, descending = self._split(self.chosen(query.get(self.PARAM)))
        headers = []
        for column in columns:
            header = {"label": column.label, "hidden": column.hidden, "select_all": column.select_all,
                      "url": "", "sort": None}
            spec = self.keys.get(column.key) if column.key else None
            if spec is not None:
                if column.key == key:
                    header["sort"] = DESCENDING if descending else ASCENDING
                    # A second click turns the current column around.
                    flip = not descending
                else:
                    flip = spec.first == DESCENDING
                params = query.copy()
                params.pop("page", None)
                params[self.PARAM] = f"-{column.key}" if flip else column.key
                header["url"] = f"?{params.urlencode()}"
            headers.append(header)
        return headers


def list_head(sorting: Sorting, query: QueryDict, columns: list[Column]) -> SafeString:
    """The list's <thead> (templates/jinja2/core/list_head.html), its sortable columns as links."""
    return render_fragment("core/list_head.html", {"headers": sorting.headers(query, columns)})
