"""Background work owned by the handoff app, and how services queue tasks."""

from celery import current_app, shared_task
from django.conf import settings
from django.core.mail import send_mail


def queue(task_name: str, *args) -> None:
    """Queue the task registered as `task_name` on this deployment's queue (read at call time,
    so tests can isolate runs).

    By name, because a task module imports the services it calls: a service that
    queued its task by importing it would close a circle. Each app's ready()
    imports its tasks module, so every name is registered before a request.
    """
    current_app.tasks[task_name].apply_async(args=args, queue=settings.CELERY_TASK_DEFAULT_QUEUE)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(subject: str, body: str, address: str) -> int:
    """One email to one address, so recipients never see each other and a retry resends only this one."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
