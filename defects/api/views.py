"""Defects (read here; triage changes them), teams and routing rules."""

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_views import CatalogueViewSet, ValuesListMixin
from core.pagination import BoundedPagination
from core.paginator import LargeTablePagination
from defects.api.filters import DefectFilter
from defects.api.rows import ROW_FIELDS, defect_rows_data
from defects.api.serializers import (
    DefectDetailSerializer,
    DefectSerializer,
    LinkedTicketSerializer,
    RoutingRuleSerializer,
    SimilarQuerySerializer,
    TeamSerializer,
)
from defects.api.triage import DefectTriageMixin
from defects.models import RoutingRule, Team
from defects.selectors import (
    TRIAGE_ORDER,
    converted_request_id,
    defect_list,
    defect_list_queryset,
    defect_ticket_links,
    similar_defects,
)


class DefectViewSet(ValuesListMixin, DefectTriageMixin, viewsets.ReadOnlyModelViewSet):
    """Every role reads defects: agents to follow them, engineers to work them."""

    filterset_class = DefectFilter
    # 250,000 defects take longer to count exactly than to read a page of them.
    pagination_class = LargeTablePagination
    row_fields = ROW_FIELDS

    def get_queryset(self):
        if self.action == "list":
            # The triage order's index, with the id last so that pages never overlap; rows are
            # read as values (ValuesListMixin) and written by defects.api.rows.
            return defect_list().order_by(*TRIAGE_ORDER)
        qs = defect_list_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("affected_versions", "attachments", "external_issues__connection")
        return qs

    def get_serializer_class(self):
        return DefectDetailSerializer if self.action == "retrieve" else DefectSerializer

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """A defect; one converted into an enhancement request answers 301 with the request's address."""
        defect = self.get_object()
        converted_to = converted_request_id(defect)
        if converted_to is not None:
            return HttpResponsePermanentRedirect(reverse("request-detail", args=[converted_to]))
        return Response(self.get_serializer(defect).data)

    def write_rows(self, rows: list[dict]) -> list[dict]:
        """Defects in DefectSerializer's shape (defects.api.rows)."""
        return defect_rows_data(rows, self.request, self.format_kwarg)

    @extend_schema(responses=LinkedTicketSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=BoundedPagination)
    def tickets(self, request: Request, pk=None) -> Response:
        """Every ticket linked to the defect, oldest link first, a page at a time."""
        page = self.paginate_queryset(defect_ticket_links(self.get_object().pk))
        return self.get_paginated_response(LinkedTicketSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(parameters=[SimilarQuerySerializer], responses=DefectSerializer(many=True))
    # Not the list: no list filters (also kept out of the schema) and no pages, as at most ten come back.
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def similar(self, request: Request) -> Response:
        """Open defects like the text `q`, the given product's first; at most ten."""
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = similar_defects(text=query.validated_data["q"], product=query.validated_data.get("product"))
        return Response(DefectSerializer(found, many=True, context=self.get_serializer_context()).data)


class TeamViewSet(CatalogueViewSet):
    """Engineering teams and their members. Every role reads; managers write."""

    serializer_class = TeamSerializer
    queryset = Team.objects.prefetch_related("members").order_by("name")


class RoutingRuleViewSet(CatalogueViewSet):
    """Routing rules in the order they are tried. Every role reads; managers write."""

    serializer_class = RoutingRuleSerializer
    filterset_fields = ["kind"]
    queryset = RoutingRule.objects.select_related("product", "component", "team").order_by("priority", "id")
