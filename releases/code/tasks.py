"""Background scans. Thin: they take an id, reload, call the scan service, and are safe to repeat."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from releases.code.models import Repository
from releases.code.services.scan import repository_scan

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 540, "time_limit": 600}


@shared_task(name="releases.code.scan", ignore_result=True, **TASK_OPTIONS)
def scan_repository(repository_id: int, full: bool = False) -> None:
    repository = Repository.objects.filter(pk=repository_id).first()
    if repository is None:
        return
    repository_scan(repository=repository, full=full)


@shared_task(name="releases.code.scan_all", ignore_result=True, **TASK_OPTIONS)
def scan_all() -> None:
    """Periodic: queue a scan of every repository (webhooks make most of them quick no-ops)."""
    for pk in Repository.objects.values_list("pk", flat=True):
        _send(pk, False)


def _send(repository_id: int, full: bool) -> None:
    scan_repository.apply_async(args=(repository_id, full), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def scan_queue(*, repository: Repository, full: bool = False) -> None:
    """Mark the repository queued and scan it once the current transaction commits (in-process without a broker)."""
    Repository.objects.filter(pk=repository.pk).exclude(scan_status=Repository.ScanStatus.RUNNING).update(
        scan_status=Repository.ScanStatus.QUEUED
    )
    transaction.on_commit(lambda: _send(repository.pk, full))
