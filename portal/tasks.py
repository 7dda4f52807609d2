"""Background work of the portal. Tasks are thin: they take ids or plain values and call a service."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage

from portal.services.notify import portal_notify_status


@shared_task(name="portal.notify_status")
def notify_status(ticket_ids: list[int], quiet: bool = False) -> int:
    """Mail the contacts whose tickets' plain status changed; safe to repeat (see the service)."""
    return portal_notify_status(ticket_ids=ticket_ids, quiet=quiet)


@shared_task(name="portal.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject: str, body: str, address: str, headers: dict[str, str]) -> int:
    """One email to one contact (a retry resends only this one)."""
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], headers=headers).send()
