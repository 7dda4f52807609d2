"""Response headers the portal adds to every page it serves."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from core.preferences import TIME_ZONE_SESSION_KEY

NO_STORE = "no-store, private"


class NoStoreForSignedInMiddleware:
    """Tell browsers and proxies not to keep what a signed-in user was shown.

    Pages and API answers to a signed-in user carry tickets, customers and
    defects: a shared computer's back button or disk cache, or a proxy between
    the user and the portal, must not keep a copy. A view that sets its own
    Cache-Control (a download, the login page) keeps it. Static files are
    public and cacheable; WhiteNoise answers them before this middleware runs,
    and the prefix check covers the development server.

    Must come after AuthenticationMiddleware. The user is read when the
    response goes out, so an API token checked by DRF inside the view counts
    too (DRF sets the authenticated user back on the Django request).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control") or self._is_static(request):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = NO_STORE
        return response

    @staticmethod
    def _is_static(request: HttpRequest) -> bool:
        static_url = "/" + settings.STATIC_URL.lstrip("/")
        return request.path.startswith(static_url)


class UserTimeZoneMiddleware:
    """Show dates in the reader's time zone: the one they chose (kept in their session by
    core.preferences), else settings.TIME_ZONE. No query: the session is read anyway.

    Must come after SessionMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = getattr(request, "session", None)
        name = session.get(TIME_ZONE_SESSION_KEY, "") if session is not None else ""
        try:
            if name:
                timezone.activate(zoneinfo.ZoneInfo(name))
            else:
                timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
