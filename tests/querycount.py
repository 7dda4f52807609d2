"""Counting the queries one API request or page costs, for the bounded-query tests."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def get_query_count(user, url: str, *, expect_rows: int | None = None) -> int:
    """Queries one GET of `url` costs for `user`, loaded afresh so no cache hides any.

    With `expect_rows`, also checks the page really held that many rows.
    """
    client = APIClient()
    client.force_authenticate(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    if expect_rows is not None:
        assert len(response.json()["results"]) == expect_rows
    return len(queries.captured_queries)


def page_query_count(user, url: str, *, expect_rows: int | None = None) -> int:
    """Queries one GET of the page `url` costs for `user` (signed in before counting), loaded afresh.

    With `expect_rows`, also checks the page's list really held that many rows.
    """
    client = Client()
    client.force_login(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    if expect_rows is not None:
        assert len(response.context["page"].object_list) == expect_rows
    return len(queries.captured_queries)
