from core import roles

# The main menu's sections by path prefix, most specific first: one item is current at a time
# (the queue lives under /defects/ and the charts under /releases/, yet each is its own item).
NAV_SECTIONS = (
    ("/defects/queue/", "queue"),
    ("/releases/reports/", "reports"),
    ("/tickets/", "tickets"),
    ("/defects/", "defects"),
    ("/requests/", "requests"),
    ("/releases/", "releases"),
    ("/sync/", "sync"),
    ("/notifications/", "notifications"),
    ("/account/tokens/", "tokens"),
    ("/account/preferences/", "preferences"),
)


def nav_section(path: str) -> str:
    """The menu item the page at `path` belongs to ("" for none)."""
    if path == "/":
        return "home"
    for prefix, section in NAV_SECTIONS:
        if path.startswith(prefix):
            return section
    return ""


def user_roles(request) -> dict:
    user = request.user
    return {
        "is_agent": roles.is_agent(user),
        "is_engineer": roles.is_engineer(user),
        "is_manager": roles.is_manager(user),
        "can_triage_requests": roles.can_triage_requests(user),
        "nav": nav_section(request.path),
    }
