"""POST /api/tickets/{id}/status/: the help desk moves its own status; engineers may not (403)."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import roles
from core.models import Channel
from core.permissions import IsStaffRole
from tickets.models import Ticket
from tickets.services.tickets import ticket_set_status


class TicketStatusWriters(IsStaffRole):
    message = "Only agents and managers change a ticket's help-desk status; engineers cannot close tickets."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and roles.can_work_tickets(request.user)


class TicketStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TicketStatusMixin:
    @extend_schema(request=TicketStatusSerializer, responses={200: None, 403: None})
    @action(detail=True, methods=["post"], permission_classes=[TicketStatusWriters], filterset_class=None)
    def status(self, request: Request, pk=None) -> Response:
        """Set the ticket's help-desk status (for example `closed`), audited with the reason."""
        ticket = self.get_object()
        data = TicketStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            ticket_set_status(ticket=ticket, actor=request.user, channel=Channel.API, **data.validated_data)
        fresh = self.get_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(fresh).data)
