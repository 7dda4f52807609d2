"""Shapes of enhancement requests in the API. Services hold the rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import IdField, KnownFieldsOnly
from defects.api.serializers import AttachmentSerializer, ExternalIssueSerializer
from defects.models import Team
from defects.severity import Impact, Urgency
from enhancements.models import Conversion, EnhancementRequest, RequestComment, TicketRequestLink
from enhancements.selectors import request_ticket_links
from sync.models import Connection
from tickets.models import Component, Product


class RequestReleaseSerializer(serializers.Serializer):
    """A release as a request shows it (the same fields as the releases API's brief)."""

    id = serializers.IntegerField()
    version = serializers.CharField()
    status = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)


class RequestSerializer(serializers.ModelSerializer):
    """A request in a list; also what sending one answers with."""

    url = serializers.HyperlinkedIdentityField(view_name="request-detail")
    product_name = serializers.CharField(source="product.name", read_only=True)
    component_name = serializers.CharField(source="component.name", read_only=True, default=None)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    target_release = RequestReleaseSerializer(read_only=True)
    delivered_release = RequestReleaseSerializer(read_only=True)
    duplicate_of = serializers.CharField(source="duplicate_of.key", read_only=True, default=None)
    help_desk_note = serializers.CharField(read_only=True)

    class Meta:
        model = EnhancementRequest
        fields = [
            "id", "key", "url", "title", "status", "help_desk_note", "product", "product_name", "component",
            "component_name", "team", "team_name", "target_release", "delivered_release", "decline_reason",
            "duplicate_of", "customer_count", "ticket_count", "demand", "last_asked_at", "created_at", "updated_at",
        ]
        read_only_fields = fields


class RequestTicketSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id")
    number = serializers.CharField(source="ticket.number")
    customer_name = serializers.CharField(source="customer.name")

    class Meta:
        model = TicketRequestLink
        fields = ["ticket", "number", "customer", "customer_name", "importance", "linked_at"]
        read_only_fields = fields


class ConversionSerializer(serializers.ModelSerializer):
    """A conversion a request took part in: from which defect, or into which one."""

    defect_key = serializers.CharField(source="defect.key")

    class Meta:
        model = Conversion
        fields = ["direction", "defect", "defect_key", "reason", "at"]
        read_only_fields = fields


# A wanted request has thousands of tickets: its detail shows the newest, tickets_url pages them all.
TICKETS_SHOWN = 50


class RequestDetailSerializer(RequestSerializer):
    tickets = serializers.SerializerMethodField(
        help_text=f"The {TICKETS_SHOWN} newest ticket links; ticket_count says how many, tickets_url lists all.",
    )
    tickets_url = serializers.HyperlinkedIdentityField(
        view_name="request-tickets", help_text="Every ticket link, newest first, a page at a time.",
    )
    attachments = AttachmentSerializer(many=True, read_only=True)
    conversions = ConversionSerializer(many=True, read_only=True)
    external_issues = ExternalIssueSerializer(many=True, read_only=True, help_text="The request's tracker twins.")

    class Meta(RequestSerializer.Meta):
        fields = RequestSerializer.Meta.fields + [
            "problem", "workaround", "tickets", "tickets_url", "attachments", "conversions", "external_issues",
        ]
        read_only_fields = fields

    @extend_schema_field(RequestTicketSerializer(many=True))
    def get_tickets(self, obj: EnhancementRequest) -> list:
        return RequestTicketSerializer(request_ticket_links(obj)[:TICKETS_SHOWN], many=True).data


class SendToTrackerSerializer(serializers.Serializer):
    """POST /api/requests/{id}/send-to-tracker/: create the request's issue in that connection's tracker."""

    connection = IdField(queryset=Connection.objects.all())


class DefectConvertSerializer(serializers.Serializer):
    """POST /api/defects/{id}/convert/: the defect becomes an enhancement request."""

    reason = serializers.CharField(max_length=2000)
    importance = serializers.ChoiceField(
        choices=TicketRequestLink.Importance.choices, default=TicketRequestLink.Importance.IMPORTANT,
        help_text="How much the request matters to each linked ticket's customer.",
    )


class RequestConvertSerializer(serializers.Serializer):
    """POST /api/requests/{id}/convert/: the request becomes a defect."""

    reason = serializers.CharField(max_length=2000)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.SINGLE_USER)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.DEGRADED)


class RequestUpdateSerializer(KnownFieldsOnly, serializers.Serializer):
    """PATCH /api/requests/{id}/: text, component, team, and a planned request's target release."""

    elsewhere = {
        name: "Change it with POST /api/requests/{id}/transition/."
        for name in ("status", "delivered_release", "duplicate_of")
    }

    title = serializers.CharField(max_length=200, required=False)
    problem = serializers.CharField(required=False)
    workaround = serializers.CharField(required=False, allow_blank=True)
    component = IdField(queryset=Component.objects.all(), required=False, allow_null=True)
    team = IdField(queryset=Team.objects.all(), required=False, allow_null=True)
    target_release = serializers.IntegerField(required=False)


class RequestTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=EnhancementRequest.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    target_release = serializers.IntegerField(required=False, allow_null=True)
    release = serializers.IntegerField(required=False, allow_null=True)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)


class RequestCommentSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = RequestComment
        fields = ["id", "author", "author_name", "body", "created_at"]
        read_only_fields = ["id", "author", "author_name", "created_at"]


class SimilarRequestQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500)
    product = IdField(queryset=Product.objects.all(), required=False, help_text="Rank this product's requests first.")


class RequestFilterSerializer(serializers.Serializer):
    product = IdField(queryset=Product.objects.all(), required=False)
    component = IdField(queryset=Component.objects.all(), required=False)
    status = serializers.ChoiceField(choices=EnhancementRequest.Status.choices, required=False)


class EscalateRequestSerializer(serializers.Serializer):
    """POST /api/tickets/{id}/escalate/ with kind=enhancement: a new request, or `request` to join one."""

    request = IdField(queryset=EnhancementRequest.objects.all(), required=False)
    title = serializers.CharField(max_length=200, required=False)
    problem = serializers.CharField(required=False)
    workaround = serializers.CharField(required=False, allow_blank=True, default="")
    component = IdField(queryset=Component.objects.all(), required=False, allow_null=True)
    importance = serializers.ChoiceField(choices=TicketRequestLink.Importance.choices)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("request") is None:
            missing = {
                name: "This field is required to send a new request." for name in ("title", "problem")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs
