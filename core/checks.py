"""System checks Handoff adds to Django's: run by `manage.py check`, `migrate` and `runserver` at start-up."""

from django.conf import settings
from django.core import checks


@checks.register()
def base_url_given(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, HANDOFF_BASE_URL must be set: links in emails (password resets included) are built on it."""
    if settings.DEBUG or getattr(settings, "HANDOFF_BASE_URL_GIVEN", True):
        return []
    return [checks.Warning(
        f"HANDOFF_BASE_URL is not set: links in emails and in tracker issues point at {settings.HANDOFF_BASE_URL}.",
        hint="Set HANDOFF_BASE_URL to the address people open the portal at, e.g. https://handoff.example.com.",
        id="handoff.W001",
    )]
