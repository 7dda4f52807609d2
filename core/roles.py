"""Roles are Django groups. Every view and endpoint asks these helpers."""

from django.contrib.auth.models import Group, Permission

AGENTS = "Agents"
ENGINEERS = "Engineers"
MANAGERS = "Managers"
PRODUCT_MANAGERS = "Product managers"
ALL_ROLES = (AGENTS, ENGINEERS, MANAGERS, PRODUCT_MANAGERS)


def remember_groups(user, names) -> None:
    """Keep the user's group names, read with the user (core.auth.RoleModelBackend), for this request."""
    user._handoff_groups = set(names)


def _groups(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_handoff_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._handoff_groups = cached
    return cached


def is_agent(user) -> bool:
    return AGENTS in _groups(user)


def is_engineer(user) -> bool:
    return ENGINEERS in _groups(user)


def is_manager(user) -> bool:
    return MANAGERS in _groups(user) or bool(getattr(user, "is_superuser", False))


def has_any_role(user) -> bool:
    return bool(_groups(user) & set(ALL_ROLES)) or is_manager(user)


def can_work_tickets(user) -> bool:
    """Agents and managers create, edit and escalate tickets."""
    return is_agent(user) or is_manager(user)


def can_work_defects(user) -> bool:
    """Engineers and managers change defects."""
    return is_engineer(user) or is_manager(user)


def is_product_manager(user) -> bool:
    return PRODUCT_MANAGERS in _groups(user)


def can_triage_requests(user) -> bool:
    """Product managers and managers change enhancement requests."""
    return is_product_manager(user) or is_manager(user)


# Apps whose every model managers may add, change, delete and view in the admin.
# The admin classes narrow this further (tickets and defects are created in the
# portal, never here; the audit trail is read-only).
MANAGER_APPS = ("tickets", "defects", "releases", "enhancements")
SYNC_MANAGER_CODENAMES = [
    "view_connection", "add_connection", "change_connection",
    "view_externalissue", "view_outboxitem", "view_inboundevent", "view_syncconflict",
]


def grant_manager_admin_permissions(using: str = "default") -> int:
    """Give the Managers group the model permissions the admin checks. Idempotent.

    Runs after every migrate (core.apps), so a new install needs no step of its own.
    Returns how many permissions the group holds for the admin afterwards.
    """
    group, _ = Group.objects.using(using).get_or_create(name=MANAGERS)
    permissions = Permission.objects.using(using)
    perms = list(
        permissions.filter(content_type__app_label__in=MANAGER_APPS)
        | permissions.filter(content_type__app_label="handoff", codename__in=["view_auditentry", "view_notification"])
        # Picking team members and assignees in the admin looks users up.
        | permissions.filter(content_type__app_label="auth", codename="view_user")
        # Tracker connections, which the sync page sends managers to the admin to set up.
        # No delete: it would drop every twin link and its history; `enabled` turns one off
        # (the API offers no delete either). The sync engine's own records are read-only.
        | permissions.filter(content_type__app_label="sync", codename__in=SYNC_MANAGER_CODENAMES)
    )
    group.permissions.add(*perms)
    return len(perms)
