"""Portal sessions: their own cookies, read only under the portal's own paths.

A portal session is never the staff session. Its key travels in cookies of
their own names and paths: `handoff_portal` (path /portal/, the pages) and
`handoff_portal_api` (path /api/portal/, the portal's API), so a browser never
sends either to a staff page, and staff pages, the admin and the staff API,
which read only Django's session, never see a contact. A portal account is not
a user at all: `request.user` stays anonymous for a contact everywhere.

The middleware sets `request.portal` (a PortalIdentity, or None) on portal paths
only, and marks every portal answer `Cache-Control: no-store`.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from core.middleware import NO_STORE
from portal.selectors import identity_for_session
from portal.services.accounts import SESSION_LIFETIME

PAGES_COOKIE, PAGES_PATH = "handoff_portal", "/portal/"
API_COOKIE, API_PATH = "handoff_portal_api", "/api/portal/"
COOKIES = ((PAGES_COOKIE, PAGES_PATH), (API_COOKIE, API_PATH))


def _cookie_for(path: str) -> str | None:
    for name, prefix in COOKIES:
        if path.startswith(prefix):
            return name
    return None


def set_session_cookies(response: HttpResponseBase, key: str) -> None:
    """Hand the browser a new portal session (both cookies, each on its own path)."""
    for name, path in COOKIES:
        response.set_cookie(
            name, key, max_age=int(SESSION_LIFETIME.total_seconds()), path=path, httponly=True,
            secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
        )


def clear_session_cookies(response: HttpResponseBase) -> None:
    for name, path in COOKIES:
        response.delete_cookie(name, path=path, samesite="Lax")


class PortalSessionMiddleware:
    """After the CSRF and authentication middleware: `request.portal` on /portal/ and /api/portal/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        cookie = _cookie_for(request.path_info)
        if cookie is None:
            return self.get_response(request)
        key = request.COOKIES.get(cookie, "")
        request.portal = identity_for_session(key) if key else None
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = NO_STORE
        if key and request.portal is None and cookie not in response.cookies:
            clear_session_cookies(response)  # a session that ended: forget its cookies
        return response
