"""DRF permission classes built on the role helpers."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core import roles


class IsStaffRole(BasePermission):
    """Any role (agents, engineers, managers, product managers). Outsiders get 403."""

    message = "You need the Agents, Engineers, Managers or Product managers role."

    def has_permission(self, request, view) -> bool:
        return roles.has_any_role(request.user)


class ManagersWrite(IsStaffRole):
    """Every role reads; only managers write."""

    message = "Only managers can change this."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or roles.is_manager(request.user)


class ManagersOnly(IsStaffRole):
    message = "Only managers can do this."

    def has_permission(self, request, view) -> bool:
        return roles.is_manager(request.user)
