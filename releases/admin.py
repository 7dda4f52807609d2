"""Admin for releases: planned versions and the ones that shipped."""

from django import forms
from django.contrib import admin

from handoff.admin import AuditedAdmin
from releases.models import Release


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if data.get("status") == Release.Status.RELEASED and not data.get("released_at"):
            self.add_error("released_at", "A released version needs the date it was released.")
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
    autocomplete_fields = ("product", "shipped_by")
    readonly_fields = ("created_at",)
