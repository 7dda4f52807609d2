"""Admin for customers, products and tickets.

Tickets are created and escalated in the portal (their numbers and audit trail
come from the services); here they can be looked up and corrected.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count

from core.admin import AuditedAdmin, LargeTableAdmin
from core.models import Channel
from defects.models import TicketDefectLink
from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket
from tickets.selectors import filter_tickets
from tickets.services.customers import customer_tier_settled


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1
    fields = ("name", "email", "phone")


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out (a form or script from before the customer portal), the scope stays what it was.
        self.fields["portal_scope"].required = False

    def clean_portal_scope(self) -> str:
        return self.cleaned_data.get("portal_scope") or self.instance.portal_scope or Customer.PortalScope.OWN


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    form = CustomerAdminForm
    list_display = ("name", "tier", "portal_enabled", "portal_scope", "contact_count", "created_at")
    list_filter = ("tier", "portal_enabled")
    search_fields = ("name",)
    inlines = [ContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contact_count=Count("contacts", distinct=True))

    def save_model(self, request, obj, form, change):
        old_tier = form.initial.get("tier", obj.tier) if change else obj.tier
        super().save_model(request, obj, form, change)
        # A new tier recounts the demand of the customer's enhancement requests (tickets.hooks).
        customer_tier_settled(customer=obj, old_tier=old_tier, actor=request.user, channel=Channel.WEB)

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj) -> int:
        return obj.contact_count


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ("name", "email", "phone", "customer")
    list_select_related = ("customer",)
    search_fields = ("name", "email", "customer__name")
    autocomplete_fields = ("customer",)


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 1


class ProductVersionInline(admin.TabularInline):
    model = ProductVersion
    extra = 1
    fields = ("name",)


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ("name", "code", "default_team")
    list_select_related = ("default_team",)
    search_fields = ("name", "code")
    autocomplete_fields = ("default_team",)
    inlines = [ComponentInline, ProductVersionInline]


@admin.register(Component)
class ComponentAdmin(AuditedAdmin):
    list_display = ("name", "product")
    list_select_related = ("product",)
    list_filter = ("product",)
    search_fields = ("name", "product__name")
    autocomplete_fields = ("product",)


@admin.register(ProductVersion)
class ProductVersionAdmin(AuditedAdmin):
    list_display = ("name", "product")
    list_select_related = ("product",)
    list_filter = ("product",)
    search_fields = ("name", "product__name")
    autocomplete_fields = ("product",)
    # sort_key orders versions by their numbers (2.10 after 2.9), not as text.
    ordering = ("product__name", "-sort_key")


class DefectLinkInline(admin.TabularInline):
    """The defects a ticket reports, read-only: linking goes through the escalation service."""

    model = TicketDefectLink
    extra = 0
    fields = ("defect", "linked_by", "linked_at")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("defect", "linked_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(LargeTableAdmin, AuditedAdmin):
    list_display = ("number", "subject", "customer", "product", "status", "assignee", "created_at")
    list_select_related = ("customer", "product", "assignee")
    list_filter = ("status", "product", "created_at")
    search_fields = ("number", "subject", "customer__name")
    readonly_fields = ("number", "created_by", "created_at", "updated_at")
    autocomplete_fields = ("customer", "contact", "product", "component", "version", "assignee")
    inlines = [DefectLinkInline]

    def has_add_permission(self, request) -> bool:
        # New tickets come from the portal or the API, which number and audit them.
        return False

    def get_search_results(self, request, queryset, search_term):
        """The ticket list's own search (tickets.selectors.filter_tickets): a number, words of the
        subject or a customer's name, each through its index rather than a LIKE over every ticket."""
        if not search_term.strip():
            return queryset, False
        return filter_tickets(queryset, search=search_term), False
