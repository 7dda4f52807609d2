"""POST /api/tickets/bulk/: one change for many tickets, as the ticket list's bulk actions make it."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import Channel
from tickets.api.status import TicketStatusWriters
from tickets.models import Ticket
from tickets.selectors import ticket_list
from tickets.services.bulk import MAX_TICKETS, tickets_bulk_assign, tickets_bulk_set_status

ACTIONS = ("assign", "unassign", "status")
NEEDS = {"assign": "assignee", "status": "status"}


class TicketBulkSerializer(serializers.Serializer):
    tickets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=MAX_TICKETS,
        help_text=f"The tickets' ids, at most {MAX_TICKETS}.",
    )
    action = serializers.ChoiceField(choices=ACTIONS)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True,
        help_text="For `assign`: the agent or manager to assign the tickets to.",
    )
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices, required=False, help_text="For `status`: the new help-desk status.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    def validate(self, data: dict) -> dict:
        needed = NEEDS.get(data["action"])
        if needed and not data.get(needed):
            raise serializers.ValidationError({needed: [f"Required for the action {data['action']}."]})
        return data


class RefusedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class BulkOutcomeSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.CharField(), help_text="Numbers of the tickets changed.")
    refused = RefusedSerializer(many=True, help_text="The tickets the rules refused, each with why.")


class TicketBulkMixin:
    @extend_schema(
        request=TicketBulkSerializer,
        responses={
            200: BulkOutcomeSerializer,
            400: OpenApiResponse(description="Field errors: no tickets, an unknown one, a missing assignee or status."),
            403: OpenApiResponse(description="Only agents and managers change tickets."),
        },
    )
    @action(detail=False, methods=["post"], permission_classes=[TicketStatusWriters], filterset_class=None,
            pagination_class=None)
    def bulk(self, request: Request) -> Response:
        """Assign, unassign or move each ticket through the ticket services, each change audited.

        A ticket the rules refuse (a status it may not take) is listed under `refused`
        with the reason; the others are changed.
        """
        data = TicketBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        ids = list(dict.fromkeys(fields["tickets"]))
        tickets = list(
            ticket_list(user=request.user).filter(pk__in=ids).select_related("assignee").order_by("-created_at", "-id")
        )
        missing = sorted(set(ids) - {ticket.pk for ticket in tickets})
        if missing:
            raise serializers.ValidationError({"tickets": [f"No ticket with the id {pk}." for pk in missing[:10]]})
        if fields["action"] == "status":
            outcome = tickets_bulk_set_status(
                tickets=tickets, status=fields["status"], reason=fields["reason"], actor=request.user,
                channel=Channel.API,
            )
        else:
            assignee = fields.get("assignee") if fields["action"] == "assign" else None
            outcome = tickets_bulk_assign(tickets=tickets, assignee=assignee, actor=request.user, channel=Channel.API)
        body = {
            "done": [ticket.number for ticket in outcome.done],
            "refused": [
                {"id": ticket.pk, "number": ticket.number, "errors": errors} for ticket, errors in outcome.refused
            ],
        }
        return Response(BulkOutcomeSerializer(body).data)
