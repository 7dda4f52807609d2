"""Portal accounts in the admin: see who was invited, turn an account off (audited)."""

from django.contrib import admin

from core.admin import AuditedAdmin
from portal.models import PortalAccount


@admin.register(PortalAccount)
class PortalAccountAdmin(AuditedAdmin):
    """Accounts are made by invitations (the ticket page, the API), never here; only their switches change."""

    list_display = ("contact", "customer", "is_active", "notify_by_email", "invited_at", "last_sign_in_at")
    list_filter = ("is_active",)
    list_select_related = ("contact__customer",)
    search_fields = ("contact__email", "contact__name", "contact__customer__name")
    fields = ("contact", "is_active", "notify_by_email", "invited_at", "activated_at", "last_sign_in_at")
    readonly_fields = ("contact", "invited_at", "activated_at", "last_sign_in_at")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="customer", ordering="contact__customer__name")
    def customer(self, obj: PortalAccount) -> str:
        return obj.contact.customer.name
