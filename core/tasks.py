"""Background work owned by the handoff app."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(subject: str, body: str, address: str) -> int:
    """One email to one address, so recipients never see each other and a retry resends only this one."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
