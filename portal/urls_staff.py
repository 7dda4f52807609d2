"""Staff pages of the portal, under the staff side's own paths (agents and managers)."""

from django.urls import path

from portal.views import staff

app_name = "portal_staff"

urlpatterns = [
    path("contacts/<int:pk>/invite/", staff.contact_invite, name="invite"),
    path("customers/<int:pk>/installations/", staff.customer_installations_page, name="installations"),
]
