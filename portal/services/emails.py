"""Emails to contacts: rendered from templates/portal/email/, sent after the commit by a task."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from core.tasks import queue


def portal_url(path: str) -> str:
    """An absolute link into the portal (HANDOFF_BASE_URL)."""
    return settings.HANDOFF_BASE_URL.rstrip("/") + path


def email_later(*, template: str, context: dict, address: str, headers: dict[str, str] | None = None) -> None:
    """Render `portal/email/<template>.txt` (its first line is the subject) and send it once the
    transaction commits, so nobody hears of a change that was rolled back."""
    text = render_to_string(f"portal/email/{template}.txt", context)
    first, _, body = text.lstrip().partition("\n")
    # Subjects carry customers' own words (a ticket's subject); a line break would be a header injection.
    subject = " ".join(first.removeprefix("Subject:").split())[:200]
    body = body.lstrip("\n")
    transaction.on_commit(lambda: queue("portal.send_email", subject, body, address, headers or {}))
