"""Who may do what with repositories and builds.

"Build systems" is the role of CI service accounts: they may record builds and
nothing else (they are not staff: no pages, no other endpoint).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core import roles

BUILD_SYSTEMS = "Build systems"


def is_build_system(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.groups.filter(name=BUILD_SYSTEMS).exists()


def can_scan(user) -> bool:
    """Managers and engineers ask for a scan; managers register and change repositories."""
    return roles.is_manager(user) or roles.is_engineer(user)


class BuildWriters(BasePermission):
    """Every staff role reads builds; build systems and managers record them."""

    message = "Only a build system's account or a manager can record builds."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return roles.has_any_role(request.user)
        return roles.is_manager(request.user) or is_build_system(request.user)


class ScanPermission(BasePermission):
    message = "Only managers and engineers can start a scan."

    def has_permission(self, request, view) -> bool:
        return can_scan(request.user)
