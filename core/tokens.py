"""API tokens: issue, revoke, list, and the DRF authentication that reads them.

A token is `Authorization: Token <key>`. The key is random, shown once, and
stored only as its SHA-256; it expires after HANDOFF_API_TOKEN_DAYS and can be
revoked by its owner or by a manager. Issuing and revoking write audit rows.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core import roles
from core.audit import audit_record
from core.auth import role_names_sql
from core.models import ApiToken

# last_used_at is a hint for the owner, not a log: writing it once a minute is enough
# and keeps every API call from being a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user, name: str, actor, channel: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it and its key, which is never available again."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=(name or "API token").strip()[:100] or "API token",
            key_hash=_digest(key),
            prefix=key[:6],
            created_at=now,
            expires_at=now + timedelta(days=settings.HANDOFF_API_TOKEN_DAYS),
        )
        audit_record(obj=token, actor=actor, channel=channel, action="token issued",
                     new=f"{user.get_username()}, expires {token.expires_at:%Y-%m-%d %H:%M}")
    return token, key


def api_token_revoke(*, token: ApiToken, actor, channel: str) -> ApiToken:
    """Revoke a token (once); later requests carrying it get 401."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        if updated:
            token.refresh_from_db()
            audit_record(obj=token, actor=actor, channel=channel, action="token revoked",
                         old=token.user.get_username())
    return token


def api_tokens_visible_to(user) -> QuerySet[ApiToken]:
    """Tokens not revoked that `user` may see and revoke: their own, or everyone's for a manager."""
    qs = ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")
    return qs if roles.is_manager(user) else qs.filter(user=user)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against ApiToken: unknown, revoked or expired keys are a 401."""

    def authenticate_credentials(self, key: str):
        tokens = ApiToken.objects.select_related("user").filter(key_hash=_digest(key), revoked_at__isnull=True)
        on_postgres = connections[tokens.db].vendor == "postgresql"
        if on_postgres:
            # The user's roles come with the token, as a session's come with its user (RoleModelBackend).
            tokens = tokens.annotate(role_names=role_names_sql())
        token = tokens.first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Token has expired; ask for a new one at /api/auth/token/.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        if on_postgres:
            roles.remember_groups(token.user, token.role_names)
        return token.user, token
