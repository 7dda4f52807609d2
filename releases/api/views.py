from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from core.ids import id_from_text
from core.models import Channel
from core.permissions import ManagersOnly, ManagersWrite
from releases.api.filters import ReleaseFilter
from releases.api.report import CSVRenderer, ReleaseCreateSerializer, ReleaseShipSerializer, report_data
from releases.api.serializers import ReleaseSerializer
from releases.models import Release
from releases.services.export import report_csv, report_filename
from releases.services.outreach import release_queue_notices
from releases.services.releases import release_create
from releases.services.report import release_report
from releases.services.ship import release_ship
from tickets.models import Customer


class ReleaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Releases, newest version first. Every role reads; managers create, ship and notify customers."""

    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    queryset = Release.objects.select_related("product").order_by("-version_key", "product__name", "id")
    permission_classes = [ManagersWrite]

    def get_permissions(self):
        if self.action in ("ship", "notify"):
            return [ManagersOnly()]
        return super().get_permissions()

    @extend_schema(request=ReleaseCreateSerializer, responses={201: ReleaseSerializer})
    def create(self, request, *args, **kwargs):
        data = ReleaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        release = release_create(actor=request.user, channel=Channel.API, **data.validated_data)
        return Response(ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseShipSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """Ship the release: fixed defects become released, missed plans slip. 400 when already shipped."""
        release = self.get_object()
        data = ReleaseShipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = release_ship(
            release=release, actor=request.user, channel=Channel.API,
            move_unfixed_to=data.validated_data["move_unfixed_to"], reason=data.validated_data["reason"],
        )
        return Response({
            "release": ReleaseSerializer(result.release).data,
            "released": [d.key for d in result.released],
            "slipped": [d.key for d in result.slipped],
            "tickets_fixed": [t.number for t in result.tickets_fixed],
            "tickets_slipped": [t.number for t in result.tickets_slipped],
        })

    @extend_schema(
        parameters=[
            OpenApiParameter("customer", int, description="Only this customer's part of the report"),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, BrowsableAPIRenderer, CSVRenderer])
    def report(self, request, pk=None):
        """The fixed-in-release report: defects, customers with contacts and notified_at, upgrade advice."""
        release = self.get_object()
        customer = None
        if request.query_params.get("customer"):
            customer_id = id_from_text(request.query_params["customer"])
            if customer_id is None:
                return Response({"customer": ["Give a customer id."]}, status=status.HTTP_400_BAD_REQUEST)
            customer = get_object_or_404(Customer, pk=customer_id)
        report = release_report(release, customer=customer)
        if request.accepted_renderer.format == "csv":
            return Response(
                report_csv(report),
                headers={"Content-Disposition": f'attachment; filename="{report_filename(report)}"'},
            )
        return Response(report_data(report))

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def notify(self, request, pk=None):
        """Queue an email to every affected contact not yet told; returns the outreach progress."""
        release = self.get_object()
        progress = release_queue_notices(release=release, actor=request.user, channel=Channel.API)
        return Response(progress, status=status.HTTP_202_ACCEPTED)
