"""Shapes of defects, teams and routing rules in the API."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.api import IdField
from defects.models import Attachment, Defect, RoutingRule, Team
from defects.selectors import defect_ticket_links
from defects.services.parts import validate_product_parts
from releases.api.serializers import ReleaseBriefSerializer
from releases.code.selectors import fix_first_releases
from releases.code.serializers import FirstReleaseSerializer, first_releases_data
from tickets.models import Product


class DefectRefSerializer(serializers.ModelSerializer):
    """A defect as a ticket names it: its id, key, status and API URL."""

    url = serializers.HyperlinkedIdentityField(view_name="defect-detail")

    class Meta:
        model = Defect
        fields = ["id", "key", "status", "url"]
        read_only_fields = fields


class DefectSerializer(serializers.ModelSerializer):
    """A row of the defect list; also what escalating answers with."""

    url = serializers.HyperlinkedIdentityField(view_name="defect-detail")
    product_name = serializers.CharField(source="product.name", read_only=True)
    component_name = serializers.CharField(source="component.name", read_only=True, default=None)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    planned_release = ReleaseBriefSerializer(read_only=True)
    fixed_in_release = ReleaseBriefSerializer(read_only=True)

    class Meta:
        model = Defect
        fields = [
            "id", "key", "url", "kind", "title", "status", "severity", "impact", "urgency",
            "product", "product_name", "component", "component_name", "team", "team_name",
            "planned_release", "fixed_in_release", "customer_count", "ticket_count",
            "created_at", "updated_at",
        ]
        read_only_fields = fields


class LinkedTicketSerializer(serializers.Serializer):
    """A ticket reporting the defect: its twin's id, number, status and API URL."""

    id = serializers.IntegerField(source="ticket.id")
    number = serializers.CharField(source="ticket.number")
    status = serializers.CharField(source="ticket.status")
    customer_name = serializers.CharField(source="ticket.customer.name")
    url = serializers.SerializerMethodField()
    linked_at = serializers.DateTimeField()

    def get_url(self, link) -> str:
        return reverse("ticket-detail", args=[link.ticket_id], request=self.context.get("request"))


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class VersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ExternalIssueSerializer(serializers.Serializer):
    """The defect's twin in a tracker."""

    connection = serializers.CharField(source="connection.name")
    external_id = serializers.CharField()
    key = serializers.CharField()
    url = serializers.URLField()


# A defect many customers hit has thousands of tickets: its detail shows the first, tickets_url pages them all.
TICKETS_SHOWN = 50


class DefectDetailSerializer(DefectSerializer):
    """One defect with its structured description, versions, tickets and attachments."""

    affected_versions = VersionRefSerializer(many=True, read_only=True)
    external_issues = ExternalIssueSerializer(many=True, read_only=True)
    tickets = serializers.SerializerMethodField(
        help_text=f"The first {TICKETS_SHOWN} tickets linked (oldest link first); tickets_url lists all.",
    )
    tickets_url = serializers.HyperlinkedIdentityField(
        view_name="defect-tickets", help_text="Every linked ticket, oldest link first, a page at a time.",
    )
    attachments = AttachmentSerializer(many=True, read_only=True)
    first_releases = serializers.SerializerMethodField()

    class Meta(DefectSerializer.Meta):
        fields = DefectSerializer.Meta.fields + [
            "description", "steps_to_reproduce", "expected_result", "actual_result", "environment",
            "severity_reason", "affected_versions", "duplicate_of", "tickets", "tickets_url", "attachments",
            "external_issues", "first_releases",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedTicketSerializer(many=True))
    def get_tickets(self, defect: Defect) -> list:
        links = defect_ticket_links(defect.pk)[:TICKETS_SHOWN]
        return LinkedTicketSerializer(links, many=True, context=self.context).data

    @extend_schema_field(FirstReleaseSerializer(many=True))
    def get_first_releases(self, defect: Defect) -> list[dict]:
        """Per maintenance line, the first release whose tagged code holds the fix (releases.code)."""
        return first_releases_data(fix_first_releases([defect.pk]).get(defect.pk, []))


class SimilarQuerySerializer(serializers.Serializer):
    """The query of GET /api/defects/similar/."""

    q = serializers.CharField(help_text="Words from the ticket: its subject or the defect title.")
    product = IdField(
        queryset=Product.objects.all(), required=False, help_text="Rank this product's defects first."
    )


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TeamSerializer(serializers.ModelSerializer):
    """A team; `member_ids` writes the members, `members` reads them."""

    serializer_related_field = IdField
    members = TeamMemberSerializer(many=True, read_only=True)
    member_ids = IdField(
        source="members", many=True, required=False, write_only=True,
        queryset=get_user_model().objects.filter(is_active=True),
    )

    class Meta:
        model = Team
        # `connection`: the tracker connection the team's defects sync to (null: none).
        fields = ["id", "name", "members", "member_ids", "connection"]


class RoutingRuleSerializer(serializers.ModelSerializer):
    serializer_related_field = IdField  # refuses 1.5 as an id (core.api)
    product_name = serializers.CharField(source="product.name", read_only=True)
    component_name = serializers.CharField(source="component.name", read_only=True, default=None)
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = RoutingRule
        fields = [
            "id", "kind", "priority", "product", "product_name", "component", "component_name", "keyword",
            "team", "team_name", "active",
        ]

    def validate(self, attrs: dict) -> dict:
        product = attrs.get("product", getattr(self.instance, "product", None))
        component = attrs.get("component", getattr(self.instance, "component", None))
        if product is not None:
            # The same rule the ticket services apply: a component belongs to its product.
            validate_product_parts(product=product, component=component)
        kind = attrs.get("kind", getattr(self.instance, "kind", RoutingRule.Kind.DEFECT))
        team = attrs.get("team", getattr(self.instance, "team", None))
        wanted, said = (
            (Team.Kind.ENGINEERING, "A defect rule sends defects to an engineering team.")
            if kind == RoutingRule.Kind.DEFECT
            else (Team.Kind.PRODUCT, "A request rule sends enhancement requests to a product-management team.")
        )
        if team is not None and team.kind != wanted:
            raise serializers.ValidationError({"team": said})
        return attrs
