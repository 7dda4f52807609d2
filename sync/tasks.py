"""Celery tasks of the sync engine. Thin: they take ids, call a service, and are safe to repeat.

JSON arguments only; acks late (a task lost with its worker runs again), with
explicit time limits below the claim timeout so a stuck push gives up before
its row is handed to another worker.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from sync.models import Connection, InboundEvent
from sync.services import pull, push
from sync.services.webhooks import inbound_process


def send(task, *args) -> None:
    """Queue `task` on this deployment's queue (read at call time, so tests can isolate runs)."""
    task.apply_async(args=args, queue=settings.CELERY_TASK_DEFAULT_QUEUE)


DRAIN_BUDGET = 30.0
TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 50, "time_limit": 60}


@shared_task(name="sync.drain", ignore_result=True, **TASK_OPTIONS)
def sync_drain(connection_id: int | None = None) -> int:
    """Push due outbox rows of the connection (all connections when None).

    Works for at most DRAIN_BUDGET seconds, well inside the time limits, then
    queues a fresh task for the rest: a long backlog never hits the hard limit
    in the middle of a push.
    """
    tried = push.outbox_drain(connection_id=connection_id, budget_seconds=DRAIN_BUDGET)
    if connection_id is not None and push.has_due_rows(connection_id):
        send(sync_drain, connection_id)
    return tried


@shared_task(name="sync.relay", ignore_result=True, **TASK_OPTIONS)
def sync_relay() -> None:
    """Periodic: hand out rows of dead workers again and queue a push where rows are due.

    Covers a broker that lost a message, a worker killed mid-push, and rows
    whose backoff has run out.
    """
    push.outbox_release_stale()
    for connection_id in push.connections_with_due_rows():
        send(sync_drain, connection_id)
    for event_id in InboundEvent.objects.filter(
        status=InboundEvent.Status.RECEIVED, received_at__lt=timezone.now() - timedelta(seconds=60)
    ).values_list("pk", flat=True)[:100]:
        send(sync_inbound, event_id)


@shared_task(name="sync.poll", ignore_result=True, **TASK_OPTIONS)
def sync_poll(connection_id: int | None = None) -> int:
    """Periodic: pull tracker changes of every active connection (or one)."""
    connections = Connection.objects.filter(enabled=True, paused=False)
    if connection_id is not None:
        connections = connections.filter(pk=connection_id)
    return sum(pull.connection_poll(connection=c) for c in connections)


@shared_task(name="sync.inbound", ignore_result=True, **TASK_OPTIONS)
def sync_inbound(event_id: int) -> None:
    """Apply one stored webhook delivery; nothing to do when it is gone or already applied."""
    event = InboundEvent.objects.select_related("connection").filter(pk=event_id).first()
    if event is not None and event.status == InboundEvent.Status.RECEIVED:
        inbound_process(event=event)
