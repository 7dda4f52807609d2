"""The portal API's own authentication: a contact, never a staff user.

`Authorization: Token <key>` with a portal token, or the portal session cookie
(`handoff_portal_api`, path /api/portal/) with CSRF checked as for any session.
Either way DRF's `request.user` stays anonymous and `request.auth` is the
contact's PortalIdentity: nothing of the staff side (roles, groups, the staff
API's permission classes) can take a contact for a user. The staff API reads
neither credential: a portal token there is an unknown token (401).
"""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck, get_authorization_header

from portal.selectors import PortalIdentity, token_for_key
from portal.services.accounts import portal_token_touch


def _contact(identity: PortalIdentity) -> tuple[AnonymousUser, PortalIdentity]:
    return AnonymousUser(), identity


class PortalTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token, identity = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("Token has expired; make a new one on your portal account page.")
        if identity is None:
            raise exceptions.AuthenticationFailed("This portal account is not active.")
        portal_token_touch(token)
        return _contact(identity)

    def authenticate_header(self, request) -> str:
        return self.keyword


class PortalSessionAuthentication(BaseAuthentication):
    """The signed-in portal browser (portal.middleware sets `request.portal`), with CSRF on writes."""

    def authenticate(self, request):
        identity = getattr(request._request, "portal", None)
        if identity is None:
            return None
        self._enforce_csrf(request)
        return _contact(identity)

    def _enforce_csrf(self, request) -> None:
        def dummy_get_response(request):  # pragma: no cover - never called
            return None

        check = CSRFCheck(dummy_get_response)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")
