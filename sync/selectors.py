"""Reads of the sync app that pages and forms offer."""

from django.db.models import QuerySet

from sync.models import Connection


def connection_list(*, active: bool | None = None) -> QuerySet[Connection]:
    """Connections by name; `active=True`: only those enabled and not paused."""
    qs = Connection.objects.order_by("name")
    if active:
        qs = qs.filter(enabled=True, paused=False)
    return qs
