"""Inbound webhooks: verify, store once per delivery id, answer at once, apply in a task.

The endpoint is shared by every kind; each connector checks its own signature
and reads its own payload (Redmine sends none and is polled).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from defects.sync.connectors import connector_for
from defects.sync.connectors.base import WebhookRejected
from defects.sync.models import Connection, InboundEvent
from defects.sync.services.pull import issues_apply


def webhook_receive(*, connection: Connection, headers: Mapping[str, str], body: bytes) -> tuple[InboundEvent, bool]:
    """Verify and store a delivery; returns (event, created). A replay returns the first event.

    Raises WebhookRejected: status 401 (nothing stored) for a bad or missing
    signature; status 400 for a signed payload that cannot be read, which is
    stored as failed with its error so the health page shows it.
    """
    connector = connector_for(connection)
    delivery_id = connector.verify_webhook(headers=headers, body=body, secret=connection.webhook_secret)[:200]
    error = ""
    try:
        connector.parse_webhook(headers=headers, body=body)
    except WebhookRejected as exc:
        error = str(exc)
    kept_headers = {k: v for k, v in headers.items() if "signature" not in k.lower()}
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                connection=connection, delivery_id=delivery_id, headers=kept_headers,
                body=body.decode("utf-8", "replace"),
                status=InboundEvent.Status.FAILED if error else InboundEvent.Status.RECEIVED, error=error,
            )
    except IntegrityError:
        return InboundEvent.objects.get(connection=connection, delivery_id=delivery_id), False
    if error:
        raise WebhookRejected(error, status=400)
    from defects.sync.tasks import send, sync_inbound

    transaction.on_commit(lambda: send(sync_inbound, event.pk))
    return event, True


def inbound_process(*, event: InboundEvent) -> None:
    """Apply a stored (already verified) delivery."""
    connection = event.connection
    try:
        issues = connector_for(connection).parse_webhook(headers=event.headers, body=event.body.encode())
        waiting = issues_apply(connection=connection, issues=issues)
    except Exception as exc:
        InboundEvent.objects.filter(pk=event.pk).update(
            status=InboundEvent.Status.FAILED, error=str(exc)[:2000], processed_at=timezone.now()
        )
        return
    if waiting:
        return  # left as received; the relay runs it again
    InboundEvent.objects.filter(pk=event.pk).update(status=InboundEvent.Status.DONE, processed_at=timezone.now())
