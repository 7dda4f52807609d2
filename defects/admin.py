"""Admin for teams, routing rules, defects, links and attachments."""

from django.contrib import admin
from django.db import transaction
from django.db.models import Count

from core.admin import AuditedAdmin, LargeTableAdmin, RecordAdmin, RecordListAdmin
from core.audit import audit_record
from core.models import Channel
from defects.models import Attachment, Comment, Defect, RoutingRule, Team, TicketDefectLink
from defects.services.links import defect_refresh_impact


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "kind", "member_count")
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("members",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members", distinct=True))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    """Rules are tried in this order: lowest priority number first, then the oldest."""

    list_display = ("priority", "kind", "product", "component", "keyword", "team", "active")
    list_display_links = ("product",)
    list_editable = ("priority", "active")
    list_select_related = ("product", "component", "team")
    list_filter = ("kind", "active", "product", "team")
    search_fields = ("keyword", "product__name", "component__name", "team__name")
    ordering = ("priority", "id")
    autocomplete_fields = ("product", "component", "team")


@admin.register(Defect)
class DefectAdmin(LargeTableAdmin, AuditedAdmin):
    list_display = (
        "key", "title", "product", "severity", "status", "team",
        "planned_release", "fixed_in_release", "customer_count", "created_at",
    )
    list_select_related = ("product", "team", "planned_release", "fixed_in_release")
    list_filter = ("status", "severity", "kind", "impact", "team", "product")
    search_fields = ("key", "title")
    readonly_fields = (
        "key", "customer_count", "ticket_count", "created_by", "created_at", "updated_at",
    )
    autocomplete_fields = (
        "product", "component", "affected_versions", "team",
        "planned_release", "fixed_in_release", "duplicate_of",
    )

    def has_add_permission(self, request) -> bool:
        # Defects are born from a ticket's escalation, which routes, keys and links them.
        return False


@admin.register(TicketDefectLink)
class TicketDefectLinkAdmin(LargeTableAdmin):
    """Links are made by escalating; an admin may only remove a wrong one."""

    # Newest first by the primary key's index: their time has none of its own to sort by.
    ordering = ("-id",)

    list_display = ("ticket", "defect", "linked_by", "linked_at")
    list_select_related = ("ticket", "defect", "linked_by")
    search_fields = ("ticket__number", "defect__key")
    readonly_fields = ("ticket", "defect", "linked_by", "linked_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj):
        self._unlink(request, [obj])

    def delete_queryset(self, request, queryset):
        self._unlink(request, list(queryset.select_related("ticket", "defect")))

    @transaction.atomic
    def _unlink(self, request, links):
        defects = {}
        for link in links:
            audit_record(
                obj=link.ticket, actor=request.user, channel=Channel.WEB,
                action="unlinked", field="defect", old=link.defect.key,
            )
            defects[link.defect_id] = link.defect
            link.delete()
        for defect in defects.values():
            # The customer and ticket counts follow the links that remain.
            defect_refresh_impact(defect=defect, actor=request.user, channel=Channel.WEB)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Uploads are checked by content in the portal; here they are listed or removed."""

    list_display = ("name", "ticket", "defect", "content_type", "size", "uploaded_by", "uploaded_at")
    list_select_related = ("ticket", "defect", "uploaded_by")
    search_fields = ("name", "ticket__number", "defect__key")
    list_filter = ("content_type",)
    fields = ("name", "ticket", "defect", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @transaction.atomic
    def delete_model(self, request, obj):
        audit_record(obj=obj, actor=request.user, channel=Channel.WEB, action="deleted", old=obj.name)
        obj.file.delete(save=False)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Comment)
class CommentAdmin(RecordListAdmin, RecordAdmin):
    """The shared thread is also mirrored to trackers, so it is only read here."""

    list_display = ("created_at", "defect", "ticket", "author", "side", "visibility")
    list_select_related = ("defect", "ticket", "author")
    list_filter = ("side", "visibility")
    search_fields = ("body", "defect__key", "ticket__number")
