"""Telling people what changed: an in-app row per user, and an email when they have an address.

`notify` is called by services inside their transaction. The rows commit or roll
back with the change; the emails are sent only once the transaction commits
(through a Celery task, in-process in the demo), so nobody is mailed about a
change that never happened.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import Notification
from core.tasks import send_notification_email

KINDS = set(Notification.Kind.values)


def absolute_url(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.HANDOFF_BASE_URL.rstrip("/") + url


def notify(*, users: Iterable, kind: str, message: str, url: str = "", actor=None) -> list[Notification]:
    """Write one notification per distinct user (never to the actor) and queue their emails.

    `users` may hold None and duplicates; both are dropped. Returns the rows written.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    actor_id = getattr(actor, "pk", None)
    recipients = {}
    for user in users:
        if user is None or user.pk == actor_id or not user.is_active:
            continue
        recipients[user.pk] = user
    if not recipients:
        return []
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    rows = Notification.objects.bulk_create(
        [
            Notification(user=user, kind=kind, message=message[:500], url=url[:300], actor=actor_user)
            for user in recipients.values()
        ]
    )
    addresses = sorted({user.email for user in recipients.values() if user.email})
    if addresses:
        # A reason typed in a textarea may hold line breaks; a mail header may not.
        subject = "[Handoff] " + " ".join(message.split())[:120]
        body = f"{message}\n\n{absolute_url(url)}\n" if url else f"{message}\n"
        transaction.on_commit(lambda: _send(subject, body, addresses))
    return rows


def _send(subject: str, body: str, addresses: list[str]) -> None:
    for address in addresses:
        send_notification_email.delay(subject, body, address)


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications read (only those in `ids` when given). Returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
