"""What the portal API shows a contact, and what it takes from them. Nothing internal is a field here."""

from django.urls import reverse
from rest_framework import serializers

from core.api import IdField
from core.markdown import render_markdown
from defects.services.comments import MAX_BODY
from tickets.models import Product, ProductVersion


class PlainStatusSerializer(serializers.Serializer):
    code = serializers.CharField(
        read_only=True,
        help_text="received, looking, working, planned, fixed, waiting, solved, with_product, "
                  "request_planned, delivered or declined.",
    )
    text = serializers.CharField(read_only=True, help_text="The status in plain words, as the portal shows it.")


class PortalTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    number = serializers.CharField(read_only=True)
    subject = serializers.CharField(read_only=True)
    product = serializers.CharField(read_only=True)
    status = PlainStatusSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ReleaseFactSerializer(serializers.Serializer):
    version = serializers.CharField(read_only=True)
    released = serializers.BooleanField(read_only=True)
    date = serializers.SerializerMethodField(help_text="The planned date, or when it shipped.")

    def get_date(self, fact) -> str | None:
        value = fact.date
        return value.isoformat() if value is not None else None


class PortalFileSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()

    def get_url(self, file) -> str:
        # The API's own download, which a portal token opens (the page's answers the page's cookie alone).
        return reverse("portal-ticket-file", args=[self.context["ticket_id"], file.pk])


class PortalTicketDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="ticket.pk", read_only=True)
    number = serializers.CharField(source="ticket.number", read_only=True)
    subject = serializers.CharField(source="ticket.subject", read_only=True)
    description = serializers.CharField(source="ticket.description", read_only=True)
    environment = serializers.CharField(source="ticket.environment", read_only=True)
    product = serializers.CharField(source="ticket.product.name", read_only=True)
    version = serializers.CharField(source="ticket.version.name", read_only=True, default=None)
    raised_by = serializers.CharField(read_only=True)
    status = PlainStatusSerializer(read_only=True)
    planned_release = ReleaseFactSerializer(source="planned", read_only=True, allow_null=True,
                                            help_text="An estimate, not a promise.")
    fixed_in_release = ReleaseFactSerializer(source="fixed", read_only=True, allow_null=True)
    files = PortalFileSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(source="ticket.created_at", read_only=True)
    updated_at = serializers.DateTimeField(source="ticket.updated_at", read_only=True)


class PortalTicketCreateSerializer(serializers.Serializer):
    product = IdField(queryset=Product.objects.all())
    version = IdField(queryset=ProductVersion.objects.all(), required=False, allow_null=True)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_BODY, help_text="Markdown.")
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10,
        help_text="Screenshots and logs (multipart/form-data).",
    )


class PortalCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    author = serializers.CharField(read_only=True)
    from_customer = serializers.BooleanField(read_only=True)
    mine = serializers.BooleanField(read_only=True)
    body = serializers.CharField(read_only=True)
    body_html = serializers.SerializerMethodField()
    files = PortalFileSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_body_html(self, comment) -> str:
        """The Markdown body rendered and sanitised: safe to insert as HTML."""
        return str(render_markdown(comment.body))


class PortalCommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY, help_text="Markdown.")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, max_length=10)


class AdvisedTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    number = serializers.CharField(read_only=True)
    subject = serializers.CharField(read_only=True)


class AdviceLineSerializer(serializers.Serializer):
    release = serializers.CharField(source="take.version", read_only=True)
    backport = serializers.BooleanField(source="take.backport", read_only=True)
    tickets = AdvisedTicketSerializer(many=True, read_only=True)


class InstallationSerializer(serializers.Serializer):
    """An installation, with the upgrade advice for the contact's tickets on its product."""

    id = serializers.IntegerField(source="installation.pk", read_only=True)
    product = serializers.IntegerField(source="installation.product_id", read_only=True)
    product_name = serializers.CharField(source="installation.product.name", read_only=True)
    version = serializers.IntegerField(source="installation.version_id", read_only=True, allow_null=True)
    version_name = serializers.CharField(source="installation.version.name", read_only=True, default=None)
    environment = serializers.CharField(source="installation.environment", read_only=True)
    upgrade_to = serializers.CharField(source="upgrade.version", read_only=True, default=None,
                                       help_text="The one release that brings every fix below.")
    fixes = AdviceLineSerializer(source="lines", many=True, read_only=True)
    already_fixed = AdvisedTicketSerializer(source="held", many=True, read_only=True)


def _tickets_data(tickets) -> list[dict]:
    return [{"id": t.pk, "number": t.number, "subject": t.subject} for t in tickets]


def installation_data(entry) -> dict:
    """InstallationSerializer's output for one installation's advice, written directly.

    An organisation's advice names a few hundred tickets, which the serializers took
    longer to write field by field than the advice took to work out. The serializer
    still documents the schema; tests/portal/test_api_installations.py holds the two equal.
    """
    installation = entry.installation
    return {
        "id": installation.pk,
        "product": installation.product_id,
        "product_name": installation.product.name,
        "version": installation.version_id,
        "version_name": installation.version.name if installation.version_id else None,
        "environment": installation.environment,
        "upgrade_to": entry.upgrade.version if entry.upgrade is not None else None,
        "fixes": [
            {"release": line.take.version, "backport": line.take.backport, "tickets": _tickets_data(line.tickets)}
            for line in entry.lines
        ],
        "already_fixed": _tickets_data(entry.held),
    }


class InstallationWriteSerializer(serializers.Serializer):
    product = IdField(queryset=Product.objects.all())
    version = IdField(queryset=ProductVersion.objects.all(), required=False, allow_null=True)
    environment = serializers.CharField(max_length=100, default="Production")


class MagicLinkSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
