"""POST /api/tickets/{id}/unlink/ and /problem-back/: undoing a link, and reopening a released fix.

Linking itself is POST /api/tickets/{id}/escalate/ with `defect` (tickets.api.views).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import IdField
from core.models import Channel
from defects.api.serializers import DefectSerializer
from defects.models import Defect
from defects.selectors import defect_list_queryset
from tickets.api.serializers import AlreadyEscalatedSerializer
from tickets.services.escalation import AlreadyEscalated, ticket_problem_back, ticket_unlink_defect


class TicketUnlinkSerializer(serializers.Serializer):
    defect = IdField(queryset=Defect.objects.all(), help_text="The linked defect to take the ticket off.")
    reason = serializers.CharField(
        max_length=2000, help_text="Why; kept in the history of the ticket and of the defect.",
    )


class ProblemBackSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="What shows the problem is back.")


class TicketLinksMixin:
    @extend_schema(
        request=TicketUnlinkSerializer,
        responses={
            200: OpenApiResponse(description="The ticket, without the link."),
            400: OpenApiResponse(description="Field errors: no reason, or a defect the ticket is not linked to."),
            403: OpenApiResponse(description="Only agents and managers unlink tickets."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def unlink(self, request: Request, pk=None) -> Response:
        """Take the ticket off a linked defect, with a reason (audited on both).

        The defect's customers and tickets are counted again (its severity is not
        lowered); a ticket left waiting on engineering with nothing to wait on goes
        back to `open`.
        """
        ticket = self.get_object()
        data = TicketUnlinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket_unlink_defect(ticket=ticket, actor=request.user, channel=Channel.API, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=ticket.pk)).data)

    @extend_schema(
        request=ProblemBackSerializer,
        responses={
            200: DefectSerializer,
            400: OpenApiResponse(description="No reason, or the ticket has no released defect to reopen."),
            403: OpenApiResponse(description="Only agents and managers escalate tickets."),
            409: OpenApiResponse(AlreadyEscalatedSerializer, description="The ticket has an open defect already."),
        },
    )
    @action(detail=True, methods=["post"], url_path="problem-back", filterset_class=None)
    def problem_back(self, request: Request, pk=None) -> Response:
        """The problem a released fix solved is back: the ticket's released defect is reopened (back to triage)."""
        ticket = self.get_object()
        data = ProblemBackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            defect = ticket_problem_back(ticket=ticket, actor=request.user, channel=Channel.API, **data.validated_data)
        except AlreadyEscalated as exc:
            body = AlreadyEscalatedSerializer(
                {"detail": str(exc), "defect": exc.defect}, context=self.get_serializer_context()
            )
            return Response(body.data, status=status.HTTP_409_CONFLICT)
        body = DefectSerializer(defect_list_queryset().get(pk=defect.pk), context=self.get_serializer_context())
        return Response(body.data)
