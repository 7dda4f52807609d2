from django.contrib import admin

from core.admin import LargeTableAdmin
from enhancements.models import EnhancementRequest


@admin.register(EnhancementRequest)
class EnhancementRequestAdmin(LargeTableAdmin):
    """Read-only: requests change through their services (audited), from the pages and the API."""

    list_display = ("key", "title", "product", "status", "customer_count", "ticket_count", "demand")
    list_filter = ("status", "product")
    search_fields = ("key", "title")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
