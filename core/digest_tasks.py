"""The periodic task behind notification digests (CELERY_BEAT_SCHEDULE "notification-digests").

Apart from core/tasks.py, which core.digests imports to send its email; registered
by CoreConfig.ready().
"""

from celery import shared_task

from core.digests import digests_send_due


@shared_task(name="core.send_digests", time_limit=300, soft_time_limit=280)
def send_digests() -> int:
    """Send each hourly or daily digest whose period is over; safe to run again at any time."""
    return digests_send_due()
