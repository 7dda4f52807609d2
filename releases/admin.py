"""Admin for releases: planned versions and the ones that shipped.

Shipping is done on the release's page in the portal (it moves unfixed
defects and tells the help desk), so status and release date are read-only here.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin import AuditedAdmin, RecordAdmin
from releases.models import Release, ReleaseNotice
from releases.services.releases import validate_version


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = "__all__"

    def clean(self):
        data = super().clean()
        product = data.get("product") or getattr(self.instance, "product", None)
        if product is not None and "version" in data:
            try:
                data["version"] = validate_version(
                    product=product, version=data["version"], exclude_pk=self.instance.pk
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(Release)
class ReleaseAdmin(AuditedAdmin):
    form = ReleaseForm
    list_display = ("version", "product", "status", "planned_date", "released_at")
    list_select_related = ("product",)
    list_filter = ("status", "product")
    search_fields = ("version", "product__name")
    # version_key orders by numbers, so 2.10.0 lists above 2.9.0.
    ordering = ("product__name", "-version_key")
    autocomplete_fields = ("product",)
    readonly_fields = ("status", "released_at", "shipped_by", "created_at")


@admin.register(ReleaseNotice)
class ReleaseNoticeAdmin(RecordAdmin):
    """The outreach ledger: which contact was told about which release, and whether it was sent."""

    list_display = ("release", "contact", "status", "queued_at", "sent_at", "error")
    list_select_related = ("release", "contact")
    list_filter = ("status", "release__product")
    search_fields = ("contact__email", "contact__name", "release__version")
