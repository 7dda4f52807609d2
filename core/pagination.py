from rest_framework.pagination import PageNumberPagination


class BoundedPagination(PageNumberPagination):
    """Page numbers with a client-chosen size capped at 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
