"""The admin: audited like every other change, and usable by managers who are not superusers.

Managers configure customers, products, teams, routing rules, releases and tracker connections here.
They need `is_staff` and the model permissions that
`core.roles.grant_manager_admin_permissions` gives the Managers group.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction

from core.audit import audit_changes, audit_record
from core.models import AuditEntry, Channel, Notification
from core.paginator import BoundedCountPaginator

admin.site.site_header = "Handoff administration"
admin.site.site_title = "Handoff admin"
admin.site.index_title = "Configuration"

class LargeTableAdmin(admin.ModelAdmin):
    """The list of a table of hundreds of thousands of rows or millions, as quick as its first page.

    Counted once (Django counts the whole table a second time for "x of y"), exactly up to
    core.paginator's cap and by the planner's estimate past it. No date hierarchy either: its
    years are a DISTINCT over the whole table (a quarter of a second on a million tickets).
    """

    paginator = BoundedCountPaginator
    show_full_result_count = False


class RecordListAdmin(LargeTableAdmin):
    """Records that only grow (the audit trail, notifications, comments): newest first by id, the
    primary key's order, and sorted by no column, since their times have no index to sort by."""

    ordering = ("-id",)
    sortable_by = ()


class ChannelFilter(admin.SimpleListFilter):
    """Where a change came from, offered from core.models.Channel: to list the values the table
    holds would read all of its millions of rows."""

    title = "channel"
    parameter_name = "channel"
    TRACKERS = "tracker"

    def lookups(self, request, model_admin):
        named = [(value, value) for name, value in vars(Channel).items() if name.isupper() and isinstance(value, str)]
        return [*named, (self.TRACKERS, "a tracker")]

    def queryset(self, request, queryset):
        if self.value() == self.TRACKERS:
            return queryset.filter(channel__startswith=Channel.tracker(""))
        if self.value():
            return queryset.filter(channel=self.value())
        return queryset


def _changes(before: models.Model, after: models.Model, fields: list[str]) -> dict:
    """Old and new values of the plain fields a form changed (many-to-many handled apart)."""
    changes = {}
    for name in fields:
        try:
            field = after._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field has no model value to compare
            continue
        if field.many_to_many or not field.concrete:
            continue
        changes[name] = (getattr(before, name), getattr(after, name))
    return changes


def _saved_copy(obj: models.Model) -> models.Model | None:
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


class AuditedAdmin(admin.ModelAdmin):
    """Writes audit rows for what the admin creates, changes and deletes (channel: web)."""

    def save_model(self, request, obj, form, change):
        before = _saved_copy(obj) if change else None
        super().save_model(request, obj, form, change)
        if before is None:
            audit_record(obj=obj, actor=request.user, channel=Channel.WEB, action="created")
        else:
            audit_changes(
                obj=obj, actor=request.user, channel=Channel.WEB,
                changes=_changes(before, obj, form.changed_data),
            )

    def save_related(self, request, form, formsets, change):
        many = [
            f.name for f in form.instance._meta.many_to_many if f.name in form.changed_data
        ]
        before = {name: list(getattr(form.instance, name).all()) for name in many} if change else {}
        super().save_related(request, form, formsets, change)
        if many:
            after = {name: list(getattr(form.instance, name).all()) for name in many}
            audit_changes(
                obj=form.instance, actor=request.user, channel=Channel.WEB,
                changes={name: (before.get(name, []), after[name]) for name in many},
            )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_record(obj=obj, actor=request.user, channel=Channel.WEB, action="deleted", old=obj)
            obj.delete()
        changed = dict((obj.pk, fields) for obj, fields in formset.changed_objects)
        for obj in instances:
            before = _saved_copy(obj) if obj.pk in changed else None
            obj.save()
            if before is None:
                audit_record(obj=obj, actor=request.user, channel=Channel.WEB, action="created")
            else:
                audit_changes(
                    obj=obj, actor=request.user, channel=Channel.WEB,
                    changes=_changes(before, obj, changed[obj.pk]),
                )
        formset.save_m2m()

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(obj=obj, actor=request.user, channel=Channel.WEB, action="deleted", old=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(obj=obj, actor=request.user, channel=Channel.WEB, action="deleted", old=obj)
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows; nothing is added or changed here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RecordAdmin(ReadOnlyAdmin):
    """Records that other parts of the system keep: nobody deletes them here either."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(RecordListAdmin, RecordAdmin):
    """The audit trail is evidence: nobody adds, edits or deletes it, superusers included.

    An action is found by searching its exact name ("transition"), not offered as a filter:
    the list of actions would be a DISTINCT over millions of rows.
    """

    list_display = ("at", "object_repr", "action", "field", "old", "new", "actor", "channel")
    list_filter = (ChannelFilter, "content_type")
    search_fields = ("=action", "object_repr", "field", "old", "new", "actor__username")
    list_select_related = ("actor", "content_type")


@admin.register(Notification)
class NotificationAdmin(RecordListAdmin, RecordAdmin):
    """What each user was told, to answer "why did I (not) hear about this?"."""

    list_display = ("created_at", "user", "kind", "message", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "message")
    list_select_related = ("user",)
