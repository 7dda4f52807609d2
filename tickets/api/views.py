"""Customers, products and tickets; escalating a ticket to engineering."""

from collections.abc import Callable, Mapping

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import StrictJSONParser
from core.api_views import CatalogueViewSet, ValuesListMixin
from core.models import Channel
from core.paginator import LargeTablePagination
from defects.api.serializers import DefectSerializer
from defects.api.triage import TicketThreadMixin
from defects.selectors import defect_list_queryset
from sync.models import ExternalIssue
from tickets.api.bulk import TicketBulkMixin
from tickets.api.filters import TicketFilter
from tickets.api.links import TicketLinksMixin
from tickets.api.permissions import TicketWorkersWrite
from tickets.api.rows import ROW_FIELDS, request_links_queryset, ticket_rows_data
from tickets.api.serializers import (
    REQUEST_LINKS_ATTR,
    AlreadyEscalatedSerializer,
    CustomerSerializer,
    EscalateSerializer,
    ProductSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketSerializer,
)
from tickets.api.status import TicketStatusMixin
from tickets.models import Customer, Product, Ticket
from tickets.selectors import ticket_list, visible_tickets
from tickets.services.customers import customer_update
from tickets.services.escalation import AlreadyEscalated, ticket_escalate, ticket_link_defect
from tickets.services.tickets import ticket_create

# Escalations other than to engineering, by `kind`, each answered by the app that
# owns it (enhancements registers "enhancement" in its AppConfig.ready()): the
# ticket API offers them without importing an app above its own.
EscalationKind = Callable[[Request, Ticket, dict], Response]
ESCALATION_KINDS: dict[str, EscalationKind] = {}


# A row's enhancement requests (TicketSerializer.enhancement_request), newest link first.
def request_links_prefetch() -> Prefetch:
    """The tickets' request links with what a row says of their requests (one query for a page)."""
    return Prefetch("request_links", to_attr=REQUEST_LINKS_ATTR, queryset=request_links_queryset())


def tracker_issues_prefetch(prefix: str = "") -> Prefetch:
    """The linked defects' issues in trackers (key, URL, tracker): one query for a page."""
    return Prefetch(
        f"{prefix}defect__external_issues",
        queryset=ExternalIssue.objects.select_related("connection")
        .only("defect", "key", "url", "connection__name", "connection__kind")
        .order_by("connection__name", "id"),
    )


class CustomerViewSet(CatalogueViewSet):
    """Customers with their contacts. Every role reads; managers write."""

    serializer_class = CustomerSerializer
    queryset = Customer.objects.prefetch_related("contacts").order_by("name")

    def perform_update(self, serializer) -> None:
        # A new tier recounts the demand of the customer's enhancement requests (tickets.hooks).
        serializer.instance = customer_update(
            customer=serializer.instance, values=serializer.validated_data, actor=self.request.user,
            channel=Channel.API,
        )


class ProductViewSet(CatalogueViewSet):
    """Products with their components and versions. Every role reads; managers write."""

    serializer_class = ProductSerializer
    queryset = Product.objects.select_related("default_team").prefetch_related("components", "versions")


@extend_schema_view(
    create=extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer}),
)
class TicketViewSet(
    ValuesListMixin,
    TicketThreadMixin,
    TicketStatusMixin,
    TicketBulkMixin,
    TicketLinksMixin,
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Tickets the user may see: everyone's for agents and managers, escalated ones for engineers."""

    permission_classes = [TicketWorkersWrite]
    filterset_class = TicketFilter
    pagination_class = LargeTablePagination
    row_fields = ROW_FIELDS

    def get_queryset(self):
        # Object-level visibility: a ticket outside this queryset is a 404.
        if self.action == "list":
            # Rows are read as values (ValuesListMixin) and written by tickets.api.rows.
            return ticket_list(user=self.request.user)
        return visible_tickets(self.request.user).prefetch_related(
            tracker_issues_prefetch("defect_links__"), request_links_prefetch()
        )

    def get_serializer_class(self):
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    def write_rows(self, rows: list[dict]) -> list[dict]:
        """Tickets in TicketSerializer's shape (tickets.api.rows)."""
        return ticket_rows_data(rows, self.request, self.format_kwarg)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_create(actor=request.user, channel=Channel.API, **data.validated_data)
        body = TicketDetailSerializer(self.get_queryset().get(pk=ticket.pk), context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"application/json": EscalateSerializer, "multipart/form-data": EscalateSerializer},
        responses={
            201: DefectSerializer,
            400: OpenApiResponse(description="Field errors: unknown choice or id, missing reason, bad upload."),
            404: OpenApiResponse(description="No such ticket, or not one you can see."),
            409: OpenApiResponse(
                AlreadyEscalatedSerializer, description="Already linked to an open defect, which the answer names."
            ),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[StrictJSONParser, MultiPartParser, FormParser])
    def escalate(self, request: Request, pk=None) -> Response:
        """Send the ticket to engineering as a new defect, or link it to an existing open one.

        With `kind: enhancement`, send it to product management instead: a new
        enhancement request (title, problem, workaround, component, importance),
        or `request` (an id) to add the ticket to an open one.
        """
        ticket = self.get_object()
        # A body that is not an object (a list, a number) has no kind: the defect
        # serializer below answers it with its own 400.
        body = request.data if isinstance(request.data, Mapping) else {}
        kind = body.get("kind", "defect") or "defect"
        if kind != "defect":
            send = ESCALATION_KINDS.get(kind) if isinstance(kind, str) else None
            if send is None:
                kinds = ", ".join(["defect", *sorted(ESCALATION_KINDS)])
                raise ValidationError({"kind": [f"{kind!r} is not a kind. Choose one of: {kinds}."]})
            return send(request, ticket, self.get_serializer_context())
        data = EscalateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("kind", None)
        existing = fields.pop("defect", None)
        try:
            if existing is not None:
                ticket_link_defect(ticket=ticket, defect=existing, actor=request.user, channel=Channel.API)
                defect_id = existing.pk
            else:
                defect_id = ticket_escalate(
                    ticket=ticket, actor=request.user, channel=Channel.API, **fields
                ).pk
        except AlreadyEscalated as exc:
            # Answered here rather than raised as core.api.Conflict, whose
            # detail DRF turns into strings: clients get the defect's id as a number.
            body = AlreadyEscalatedSerializer(
                {"detail": str(exc), "defect": exc.defect}, context=self.get_serializer_context()
            )
            return Response(body.data, status=status.HTTP_409_CONFLICT)
        defect = defect_list_queryset().get(pk=defect_id)
        body = DefectSerializer(defect, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)
