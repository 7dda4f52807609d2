"""Shapes of customers, products and tickets in the API.

Serializers check the shape of input (types, known ids, known choices);
the ticket services hold the rules (a contact works for the customer, a
component belongs to the product, a ticket is escalated once).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import IdField, ListIdentityField
from core.safe_urls import external_link
from defects.api.serializers import DefectRefSerializer
from defects.attachments import CheckedFile, check_upload
from defects.models import Defect
from defects.severity import Impact, Severity, Urgency
from releases.api.serializers import ReleaseBriefSerializer
from releases.code.selectors import fix_first_releases
from releases.code.serializers import FirstReleaseSerializer, first_releases_data
from sync.models import Connection, ExternalIssue
from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket

# Where the ticket views put a ticket's request links: a plain list, so a page of
# rows does not build a related manager and a queryset per ticket to hold them.
REQUEST_LINKS_ATTR = "listed_request_links"

class TicketRequestRefSerializer(serializers.Serializer):
    """A ticket's enhancement request as the help desk sees it (read through the ticket's links)."""

    id = serializers.IntegerField()
    key = serializers.CharField()
    status = serializers.CharField()
    note = serializers.CharField(help_text='e.g. "Planned for 2.6 (estimate, not a promise)"')
    importance = serializers.CharField()
    target_release = serializers.CharField(allow_null=True)
    delivered_release = serializers.CharField(allow_null=True)
    decline_reason = serializers.CharField(allow_null=True)


def newest_request_data(links) -> dict | None:
    """TicketRequestRefSerializer's shape of the newest of a ticket's request links (with their requests), or None."""
    if not links:
        return None
    link = max(links, key=lambda link: (link.linked_at, link.pk))
    request = link.request
    return {
        "id": request.pk,
        "key": request.key,
        "status": request.status,
        "note": request.help_desk_note,
        "importance": link.importance,
        "target_release": request.target_release.version if request.target_release_id else None,
        "delivered_release": request.delivered_release.version if request.delivered_release_id else None,
        "decline_reason": request.decline_reason or None,
    }


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone"]
        read_only_fields = fields


class CustomerSerializer(serializers.ModelSerializer):
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        # portal_enabled and portal_scope: the customer portal's settings (managers change them).
        fields = ["id", "name", "tier", "portal_enabled", "portal_scope", "contacts"]


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["id", "name"]
        read_only_fields = fields


class ProductVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductVersion
        fields = ["id", "name"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    serializer_related_field = IdField
    components = ComponentSerializer(many=True, read_only=True)
    versions = ProductVersionSerializer(many=True, read_only=True)
    default_team_name = serializers.CharField(source="default_team.name", read_only=True, default=None)

    class Meta:
        model = Product
        fields = ["id", "name", "code", "default_team", "default_team_name", "components", "versions"]


class TrackerIssueSerializer(serializers.Serializer):
    """A defect's twin in an external tracker, as the ticket page lists it."""

    key = serializers.CharField()
    url = serializers.SerializerMethodField()
    tracker = serializers.CharField(source="connection.name")
    kind = serializers.ChoiceField(source="connection.kind", choices=Connection.Kind.choices)

    def get_url(self, twin: ExternalIssue) -> str | None:
        """The issue's URL when it is a plain http(s) link (a tracker's URL is data), else null."""
        return external_link(twin.url) or None


class LinkedDefectSerializer(DefectRefSerializer):
    """A defect a ticket links to, with its issues in trackers (prefetched by the ticket API views)."""

    trackers = TrackerIssueSerializer(source="external_issues", many=True, read_only=True)

    class Meta(DefectRefSerializer.Meta):
        fields = DefectRefSerializer.Meta.fields + ["trackers"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """A row of the ticket list: both statuses, the help desk's and engineering's."""

    url = ListIdentityField(view_name="ticket-detail")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    escalated = serializers.SerializerMethodField()
    engineering_status = serializers.SerializerMethodField()
    planned_release = serializers.SerializerMethodField()
    fixed_in_release = serializers.SerializerMethodField()
    defects = serializers.SerializerMethodField()
    enhancement_request = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "number", "url", "subject", "status", "customer", "customer_name", "product",
            "product_name", "assignee", "escalated", "engineering_status", "planned_release",
            "fixed_in_release", "planned_fix_slipped", "defects", "enhancement_request", "created_at", "updated_at",
        ]
        read_only_fields = fields

    # Everything below reads the prefetched links (tickets.selectors), never the database.
    @staticmethod
    def _current_defect(ticket: Ticket) -> Defect | None:
        """Ticket.current_defect, worked out once per row: four fields read it."""
        if "_row_current_defect" not in ticket.__dict__:
            ticket.__dict__["_row_current_defect"] = ticket.current_defect
        return ticket.__dict__["_row_current_defect"]

    def get_escalated(self, ticket: Ticket) -> bool:
        return self._current_defect(ticket) is not None

    @extend_schema_field(serializers.ChoiceField(choices=Defect.Status.choices, allow_null=True))
    def get_engineering_status(self, ticket: Ticket) -> str | None:
        defect = self._current_defect(ticket)
        return defect.status if defect else None

    @extend_schema_field(ReleaseBriefSerializer(allow_null=True))
    def get_planned_release(self, ticket: Ticket) -> dict | None:
        return self._defect_release(ticket, "planned_release")

    @extend_schema_field(ReleaseBriefSerializer(allow_null=True))
    def get_fixed_in_release(self, ticket: Ticket) -> dict | None:
        return self._defect_release(ticket, "fixed_in_release")

    # One nested serializer per list, reused for every row: building a serializer
    # (its fields) costs more than rendering a row, 50 rows a page.
    @cached_property
    def _release_brief(self) -> ReleaseBriefSerializer:
        return ReleaseBriefSerializer(context=self.context)

    @cached_property
    def _defect_ref(self) -> LinkedDefectSerializer:
        ref = LinkedDefectSerializer(context=self.context)
        ref.fields["url"] = ListIdentityField(view_name="defect-detail")
        return ref

    def _defect_release(self, ticket: Ticket, field: str) -> dict | None:
        release = getattr(self._current_defect(ticket), field, None)
        return self._release_brief.to_representation(release) if release is not None else None

    @extend_schema_field(TicketRequestRefSerializer(allow_null=True))
    def get_enhancement_request(self, ticket: Ticket) -> dict | None:
        """The ticket's newest enhancement request (the views prefetch request_links), or None."""
        # The views' request_links_prefetch as a plain list (REQUEST_LINKS_ATTR), else the relation.
        links = ticket.__dict__.get(REQUEST_LINKS_ATTR)
        if links is None:
            links = ticket.request_links.all()
        return newest_request_data(links)

    @extend_schema_field(LinkedDefectSerializer(many=True))
    def get_defects(self, ticket: Ticket) -> list[dict]:
        """Every linked defect, the current one first."""
        return [self._defect_ref.to_representation(link.defect) for link in ticket.linked()]


class TicketDetailSerializer(TicketSerializer):
    """One ticket: the list row plus its description and product details."""

    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None)
    component_name = serializers.CharField(source="component.name", read_only=True, default=None)
    version_name = serializers.CharField(source="version.name", read_only=True, default=None)
    first_releases = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = TicketSerializer.Meta.fields + [
            "description", "contact", "contact_name", "component", "component_name", "version",
            "version_name", "environment", "first_releases",
        ]
        read_only_fields = fields

    @extend_schema_field(FirstReleaseSerializer(many=True))
    def get_first_releases(self, ticket: Ticket) -> list[dict]:
        """The current defect's first release per maintenance line holding the fix (releases.code)."""
        defect = self._current_defect(ticket)
        if defect is None:
            return []
        return first_releases_data(fix_first_releases([defect.pk]).get(defect.pk, []))


class TicketCreateSerializer(serializers.Serializer):
    """Input of POST /api/tickets/. Ids must exist; ticket_create checks they fit together."""

    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    customer = IdField(queryset=Customer.objects.all())
    contact = IdField(queryset=Contact.objects.all(), required=False, allow_null=True)
    product = IdField(queryset=Product.objects.all())
    component = IdField(
        queryset=Component.objects.all(), required=False, allow_null=True
    )
    version = IdField(
        queryset=ProductVersion.objects.all(), required=False, allow_null=True
    )
    environment = serializers.CharField(required=False, allow_blank=True, default="")


class EscalateSerializer(serializers.Serializer):
    """Input of POST /api/tickets/{id}/escalate/: a new defect, or `defect` to link one.

    Severity is computed from impact and urgency; `severity` proposes another
    one and then needs `severity_reason` (checked by the escalation service).
    """

    kind = serializers.ChoiceField(
        choices=["defect", "enhancement"], required=False, default="defect",
        help_text="`enhancement` sends the ticket to product management instead "
        "(fields: title, problem, workaround, component, importance; or `request` to join one).",
    )
    defect = IdField(
        queryset=Defect.objects.all(), required=False,
        help_text="Link this existing open defect instead of creating one; other fields are then ignored.",
    )
    title = serializers.CharField(max_length=200, required=False)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    steps_to_reproduce = serializers.CharField(required=False, allow_blank=True, default="")
    expected_result = serializers.CharField(required=False, allow_blank=True, default="")
    actual_result = serializers.CharField(required=False, allow_blank=True, default="")
    component = IdField(
        queryset=Component.objects.all(), required=False, allow_null=True
    )
    version = IdField(
        queryset=ProductVersion.objects.all(), required=False, allow_null=True
    )
    environment = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True, default="")
    severity_reason = serializers.CharField(required=False, allow_blank=True, default="")
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list,
        help_text="Screenshots and logs (multipart). Checked by content and size.",
    )

    def validate_attachments(self, files: list) -> list[CheckedFile]:
        checked = []
        for upload in files:
            try:
                checked.append(check_upload(upload))
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from None
        return checked

    def validate(self, attrs: dict) -> dict:
        if attrs.get("defect") is None:
            missing = {
                name: "This field is required to create a defect."
                for name in ("title", "impact", "urgency")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class AlreadyEscalatedSerializer(serializers.Serializer):
    """The 409 answer to escalating a ticket that already has an open defect."""

    detail = serializers.CharField()
    defect = DefectRefSerializer()
