"""The engine's tunables, read from Django settings with their defaults."""

from django.conf import settings


def claim_timeout() -> int:
    """Seconds after which a claimed row whose worker went silent is claimed again."""
    return getattr(settings, "HANDOFF_SYNC_CLAIM_TIMEOUT", 120)


def backoff_base() -> float:
    return getattr(settings, "HANDOFF_SYNC_BACKOFF_SECONDS", 10)


def backoff_max() -> float:
    return getattr(settings, "HANDOFF_SYNC_BACKOFF_MAX", 900)


def http_timeout() -> float:
    return getattr(settings, "HANDOFF_SYNC_HTTP_TIMEOUT", 10)


def webhook_max_bytes() -> int:
    """Largest webhook body taken; a longer Content-Length is refused before reading."""
    return getattr(settings, "HANDOFF_WEBHOOK_MAX_BYTES", 1024 * 1024)


def portal_base_url() -> str:
    return settings.HANDOFF_BASE_URL.rstrip("/")
