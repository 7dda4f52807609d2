from django import forms
from django.contrib import admin

from core.admin import LargeTableAdmin
from core.models import Channel
from sync.models import Connection, ExternalIssue, InboundEvent, OutboxItem, SyncConflict
from sync.services.connections import connection_create, connection_update


class ConnectionForm(forms.ModelForm):
    base_url = forms.CharField(max_length=300, help_text="The tracker's address, e.g. https://redmine.example.com")
    # Write-only: the stored secret is never rendered back into the page.
    token = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                            help_text="Leave empty to keep the current token.")
    webhook_secret = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                                     help_text="Leave empty to keep the current secret.")

    class Meta:
        model = Connection
        fields = ["name", "kind", "base_url", "project", "token", "webhook_secret", "status_map",
                  "priority_map", "version_map", "request_type", "request_status_map", "enabled"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ["name", "kind", "base_url", "project", "enabled", "paused", "last_success_at"]
    readonly_fields = ["paused", "last_error", "last_error_at", "last_success_at", "last_poll_at", "poll_cursor"]

    def save_model(self, request, obj, form, change):
        values = {k: v for k, v in form.cleaned_data.items() if k in form.Meta.fields}
        for secret in ("token", "webhook_secret"):
            if change and not values.get(secret):
                values.pop(secret, None)
        if change:
            saved = connection_update(connection=obj, actor=request.user, channel=Channel.WEB, **values)
        else:
            saved = connection_create(actor=request.user, channel=Channel.WEB, **values)
        obj.pk = saved.pk


@admin.register(OutboxItem)
class OutboxItemAdmin(LargeTableAdmin):
    list_display = [
        "id", "defect", "request", "connection", "kind", "status", "attempts", "next_attempt_at", "last_error",
    ]
    list_filter = ["status", "kind", "connection"]
    list_select_related = ["defect", "request", "connection"]
    readonly_fields = [f.name for f in OutboxItem._meta.fields]


@admin.register(ExternalIssue)
class ExternalIssueAdmin(admin.ModelAdmin):
    list_display = ["defect", "request", "connection", "key", "url"]
    list_select_related = ["defect", "request", "connection"]


@admin.register(InboundEvent)
class InboundEventAdmin(LargeTableAdmin):
    list_display = ["delivery_id", "connection", "status", "received_at", "error"]
    list_filter = ["status", "connection"]


@admin.register(SyncConflict)
class SyncConflictAdmin(admin.ModelAdmin):
    list_display = ["defect", "request", "field", "portal_value", "tracker_value", "winner", "at"]
    list_select_related = ["defect", "request"]
