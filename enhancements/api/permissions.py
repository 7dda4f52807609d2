from rest_framework.permissions import SAFE_METHODS

from core import roles
from core.permissions import IsStaffRole


class RequestTriage(IsStaffRole):
    """Every role reads requests; product managers and managers change them."""

    message = "Only product managers and managers can change enhancement requests."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or roles.can_triage_requests(request.user)


class RequestCommenters(IsStaffRole):
    """Every role reads the thread; agents, product managers and managers write in it."""

    message = "Only agents, product managers and managers can comment on enhancement requests."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        return request.method in SAFE_METHODS or roles.can_work_tickets(user) or roles.can_triage_requests(user)


class DefectConverters(IsStaffRole):
    """Engineers and managers turn a defect into an enhancement request."""

    message = "Only engineers and managers can convert a defect into an enhancement request."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and roles.can_work_defects(request.user)
