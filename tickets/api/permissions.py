from rest_framework.permissions import SAFE_METHODS

from core import roles
from core.permissions import IsStaffRole


class TicketWorkersWrite(IsStaffRole):
    """Every role reads the tickets it can see; agents and managers create and escalate."""

    message = "Only agents and managers can create or escalate tickets."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or roles.can_work_tickets(request.user)
