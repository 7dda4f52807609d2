"""The portal API (/api/portal/): a contact's tickets, their conversation, their installations.

Authenticated as the contact (portal.api.auth); every object is looked up through
the contact's tickets or customer, so another id answers 404. Staff credentials
do not open it, and portal credentials do not open the staff API.
"""

from django.core.exceptions import ValidationError
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictJSONParser
from core.auth import client_ip
from core.models import Channel
from core.permissions import IsStaffRole
from core.roles import can_work_tickets
from defects.attachments import check_uploads, download_response
from portal.advice import installations_advice
from portal.api.auth import PortalSessionAuthentication, PortalTokenAuthentication
from portal.api.serializers import (
    InstallationSerializer,
    InstallationWriteSerializer,
    MagicLinkSerializer,
    PortalCommentCreateSerializer,
    PortalCommentSerializer,
    PortalTicketCreateSerializer,
    PortalTicketDetailSerializer,
    PortalTicketSerializer,
    installation_data,
)
from portal.selectors import (
    PortalIdentity,
    customer_of,
    installation_get,
    portal_file,
    portal_thread,
    portal_ticket,
    portal_ticket_list,
    portal_ticket_page,
    ticket_rows_of,
)
from portal.services import contact_channel
from portal.services.accounts import portal_invite, portal_request_sign_in_link
from portal.services.installations import installation_delete, installation_save
from portal.services.tickets import portal_reply, portal_ticket_create
from tickets.models import Contact

TAG = "portal"


class IsPortalContact(BasePermission):
    """A contact signed in to the portal (a portal token or session); never a staff user."""

    message = "Sign in to the customer portal: a portal token or the portal's session."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PortalIdentity)


class FileRenderer(BaseRenderer):
    """Lets a download answer any Accept header: the file is its own body, of its own type."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PortalAPIMixin:
    authentication_classes = [PortalTokenAuthentication, PortalSessionAuthentication]
    permission_classes = [IsPortalContact]
    filterset_class = None
    filter_backends: list = []
    lookup_value_regex = r"[0-9]+"

    @property
    def identity(self) -> PortalIdentity:
        return self.request.auth


def _files(data: dict) -> list:
    return check_uploads(data.get("attachments") or [])


@extend_schema_view(
    list=extend_schema(tags=[TAG], responses=PortalTicketSerializer(many=True)),
    retrieve=extend_schema(tags=[TAG], responses={200: PortalTicketDetailSerializer, 404: None}),
    create=extend_schema(
        tags=[TAG],
        request={"application/json": PortalTicketCreateSerializer, "multipart/form-data": PortalTicketCreateSerializer},
        responses={201: PortalTicketDetailSerializer, 400: OpenApiResponse(description="Field errors.")},
    ),
)
class PortalTicketViewSet(PortalAPIMixin, viewsets.GenericViewSet):
    """The contact's tickets (their own, or their organisation's), each with its status in plain words."""

    serializer_class = PortalTicketSerializer
    parser_classes = [StrictJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return portal_ticket_list(self.identity)

    def list(self, request: Request) -> Response:
        """Every ticket of the contact's (their own, or their organisation's), newest first."""
        page = self.paginate_queryset(self.get_queryset().values_list("pk", flat=True))
        return self.get_paginated_response(PortalTicketSerializer(ticket_rows_of(list(page)), many=True).data)

    def _detail(self, pk) -> dict:
        page = portal_ticket_page(self.identity, pk)
        return PortalTicketDetailSerializer(page, context={"ticket_id": page.ticket.pk}).data

    def retrieve(self, request: Request, pk=None) -> Response:
        """One ticket: its plain status, its planned and actual release, the files sent with it."""
        return Response(self._detail(pk))

    def create(self, request: Request) -> Response:
        """Raise a ticket for the contact's organisation; it reaches the help desk's list."""
        data = PortalTicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        ticket = portal_ticket_create(
            identity=self.identity, product=values["product"], version=values.get("version"),
            subject=values["subject"], description=values["description"], files=_files(values),
        )
        return Response(self._detail(ticket.pk), status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], tags=[TAG], responses={200: PortalCommentSerializer(many=True), 404: None})
    @extend_schema(
        methods=["POST"], tags=[TAG],
        request={"application/json": PortalCommentCreateSerializer,
                 "multipart/form-data": PortalCommentCreateSerializer},
        responses={201: PortalCommentSerializer, 400: OpenApiResponse(description="Field errors."), 404: None},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=PortalCommentSerializer)
    def comments(self, request: Request, pk=None) -> Response:
        """The conversation with the help desk (its replies and the customer's), oldest first; POST replies.

        A reply to a ticket waiting on the customer hands it back to the help desk.
        """
        ticket = portal_ticket(self.identity, pk)
        context = {"ticket_id": ticket.pk}
        if request.method == "POST":
            data = PortalCommentCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = portal_reply(
                identity=self.identity, ticket=ticket, body=data.validated_data["body"],
                files=_files(data.validated_data),
            )
            shown = next(c for c in portal_thread(ticket, self.identity)[0] if c.pk == comment.pk)
            return Response(PortalCommentSerializer(shown, context=context).data, status=status.HTTP_201_CREATED)
        comments, _ = portal_thread(ticket, self.identity)
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(PortalCommentSerializer(page, many=True, context=context).data)

    @extend_schema(
        tags=[TAG], responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: None},
        description="Each file's `url` in a ticket or a comment leads here.",
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_pk>[0-9]+)", renderer_classes=[FileRenderer])
    def file(self, request: Request, pk=None, file_pk=None) -> FileResponse:
        """A file sent with the ticket, as a download: the same files, by the same rule, as the portal's pages."""
        return download_response(portal_file(self.identity, pk, file_pk))


@extend_schema_view(
    list=extend_schema(tags=[TAG]),
    retrieve=extend_schema(tags=[TAG], responses={200: InstallationSerializer, 404: None}),
    create=extend_schema(tags=[TAG], request=InstallationWriteSerializer, responses={201: InstallationSerializer}),
    partial_update=extend_schema(tags=[TAG], request=InstallationWriteSerializer,
                                 responses={200: InstallationSerializer}),
    destroy=extend_schema(tags=[TAG], responses={204: None, 404: None}),
)
class PortalInstallationViewSet(
    PortalAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):
    """'Our installations': what the organisation runs, with the upgrade advice for the contact's tickets."""

    serializer_class = InstallationSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return installations_advice(self.identity)

    def _one(self, pk):
        installation = installation_get(self.identity.customer_id, pk)
        return next(a for a in self.get_queryset() if a.installation.pk == installation.pk)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([installation_data(entry) for entry in page])

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(installation_data(self._one(pk)))

    def _save(self, request: Request, installation=None, *, partial: bool) -> int:
        data = InstallationWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        saved = installation_save(
            customer=customer_of(self.identity), installation=installation,
            product=values.get("product", installation.product if installation else None),
            version=values.get("version", installation.version if installation else None),
            environment=values.get("environment", installation.environment if installation else "Production"),
            actor=None, channel=contact_channel(self.identity),
        )
        return saved.pk

    def create(self, request: Request) -> Response:
        pk = self._save(request, partial=False)
        return Response(installation_data(self._one(pk)), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        installation = installation_get(self.identity.customer_id, pk)
        self._save(request, installation, partial=True)
        return Response(installation_data(self._one(installation.pk)))

    def destroy(self, request: Request, pk=None) -> Response:
        installation = installation_get(self.identity.customer_id, pk)
        installation_delete(installation=installation, actor=None, channel=contact_channel(self.identity))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MagicLinkView(APIView):
    """Ask for a sign-in link by email. Always 202, whatever the address: nothing is said about it."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=[TAG], request=MagicLinkSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        """A link (valid 15 minutes, usable once) goes to the address when it is a contact's whose
        customer uses the portal. Requests are limited per address and per client address."""
        data = MagicLinkSerializer(data=request.data if isinstance(request.data, dict) else {})
        if data.is_valid():
            portal_request_sign_in_link(email=data.validated_data["email"], client_ip=client_ip(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class StaffInvitePermission(IsStaffRole):
    message = "Only agents and managers invite contacts to the portal."

    def has_permission(self, request, view) -> bool:
        return can_work_tickets(request.user)


class ContactInviteView(APIView):
    """Invite a contact to the customer portal (agents and managers)."""

    permission_classes = [StaffInvitePermission]

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(description="The invitation is on its way (a link valid 72 hours, usable once)."),
            400: OpenApiResponse(description="The contact's customer does not use the portal."),
            404: None,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        contact = Contact.objects.filter(pk=pk).first()
        if contact is None:
            return Response({"detail": "No such contact."}, status=status.HTTP_404_NOT_FOUND)
        try:
            portal_invite(contact=contact, actor=request.user, channel=Channel.API)
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": f"Invitation sent to {contact.email}."}, status=status.HTTP_202_ACCEPTED)
