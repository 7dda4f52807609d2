from functools import lru_cache

from django.urls import get_script_prefix, reverse

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


# The menu's and the shortcut list's links (templates/base.html, core/_shortcuts.html), by key.
NAV_URLS = {
    "home": "home", "tickets": "tickets:list", "defects": "defects:list", "queue": "defects:queue",
    "requests": "enhancements:queue", "releases": "releases:list", "reports": "releases:charts",
    "sync": "sync:list", "notifications": "notifications", "admin": "admin:index", "logout": "logout",
    "preferences": "account-preferences", "tokens": "account-tokens",
}


@lru_cache(maxsize=8)
def _nav_urls(script_prefix: str) -> dict[str, str]:
    # The same links on every page: reversed once per prefix the site is served under,
    # not two dozen times a page (reverse() reads the prefix of the request being served).
    return {key: reverse(name) for key, name in NAV_URLS.items()}


def user_roles(request) -> dict:
    user = request.user
    return {
        "is_agent": roles.is_agent(user),
        "is_engineer": roles.is_engineer(user),
        "is_manager": roles.is_manager(user),
        "can_triage_requests": roles.can_triage_requests(user),
        "nav": nav_section(request.path),
        "nav_urls": _nav_urls(get_script_prefix()),
    }
