"""Roles are Django groups. Every view and endpoint asks these helpers."""

AGENTS = "Agents"
ENGINEERS = "Engineers"
MANAGERS = "Managers"
PRODUCT_MANAGERS = "Product managers"
ALL_ROLES = (AGENTS, ENGINEERS, MANAGERS, PRODUCT_MANAGERS)


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
