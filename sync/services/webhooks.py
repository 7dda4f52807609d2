"""Inbound webhooks: verify, store once per delivery id, answer at once, apply in a task.

The endpoint is shared by every kind; each connector checks its own signature
and reads its own payload (Redmine sends none and is polled).

A signature proves who made a body, not when: a captured delivery sent again
under a new delivery id is still validly signed. So a body is also known by its
SHA-256, and one already received for the connection within the tracker's
redelivery window (`Connector.redelivery_window`) is answered as a duplicate
and not applied again. Past the window, its issue is older than what the link
holds, and pull.issue_apply leaves the fields alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from contextlib import nullcontext

from django.db import connections, router, transaction
from django.utils import timezone

from core.tasks import queue
from sync.connectors import connector_for
from sync.connectors.base import WebhookRejected
from sync.models import Connection, InboundEvent
from sync.services.provenance import Via
from sync.services.pull import issues_apply

DELIVERY_ID_MAX = InboundEvent._meta.get_field("delivery_id").max_length
STORE_ATTEMPTS = 3


def _received_before(connection: Connection, digest: str, window) -> InboundEvent | None:
    """The earlier delivery of the same body within `window`, unless it failed (a resend may be a fix)."""
    return (
        InboundEvent.objects.filter(
            connection=connection, body_sha256=digest, received_at__gte=timezone.now() - window
        )
        .exclude(status=InboundEvent.Status.FAILED)
        .order_by("received_at", "id")
        .first()
    )


# One statement stores a delivery unless it was received before: by its id (the unique
# constraint) or by its body within the redelivery window (unless that one failed).
# A tracker's retries and replays are rare; a new delivery then costs this one round
# trip, with no transaction around it, and is answered sooner (the bench's webhook target).
_STORE_ONCE = """
INSERT INTO {table} ({columns})
SELECT {values}
WHERE NOT EXISTS (
    SELECT 1 FROM {table}
    WHERE connection_id = %s AND body_sha256 = %s AND received_at >= %s AND status <> %s
)
ON CONFLICT (connection_id, delivery_id) DO NOTHING
RETURNING id
"""
_STORED = ("connection", "delivery_id", "headers", "body", "body_sha256", "status", "error", "received_at")


def _store_once(*, values: dict, window) -> int | None:
    """The new event's id, or None when its delivery id or its body was received before."""
    fields = [InboundEvent._meta.get_field(name) for name in _STORED]
    db = connections[router.db_for_write(InboundEvent)]
    quote = db.ops.quote_name
    query = _STORE_ONCE.format(
        table=quote(InboundEvent._meta.db_table),
        columns=", ".join(quote(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
    )
    stored = [field.get_db_prep_save(values[field.name], db) for field in fields]
    since = fields[-1].get_db_prep_save(values["received_at"] - window, db)
    params = [*stored, stored[0], values["body_sha256"], since, InboundEvent.Status.FAILED]
    # A savepoint only inside a transaction (a test's, or a caller's): alone, one statement is atomic.
    with transaction.atomic(using=db.alias) if db.in_atomic_block else nullcontext(), db.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _first_delivery(connection: Connection, delivery_id: str, digest: str, window) -> InboundEvent | None:
    """The earlier delivery a new one repeats: the same id, else the same body within `window`."""
    same_id = InboundEvent.objects.filter(connection=connection, delivery_id=delivery_id).first()
    return same_id or _received_before(connection, digest, window)


def webhook_receive(*, connection: Connection, headers: Mapping[str, str], body: bytes) -> tuple[InboundEvent, bool]:
    """Verify and store a delivery; returns (event, created). A replay returns the first event.

    A replay is the same delivery id, or the same body within the tracker's
    redelivery window under any delivery id. Raises WebhookRejected: status 401
    (nothing stored) for a bad or missing signature; 400 (nothing stored) for
    a delivery id longer than we keep, since cutting it could merge two
    deliveries; 400 for a signed payload that cannot be read, which is stored
    as failed with its error so the health page shows it.
    """
    connector = connector_for(connection)
    delivery_id = connector.verify_webhook(headers=headers, body=body, secret=connection.webhook_secret)
    if len(delivery_id) > DELIVERY_ID_MAX:
        raise WebhookRejected(f"The delivery id is longer than {DELIVERY_ID_MAX} characters.", status=400)
    digest = hashlib.sha256(body).hexdigest()
    window = connector.redelivery_window
    error = ""
    try:
        connector.parse_webhook(headers=headers, body=body)
    except WebhookRejected as exc:
        error = str(exc)
    # Neither a signature nor a shared token (GitLab's X-Gitlab-Token is the secret itself) is kept.
    kept_headers = {k: v for k, v in headers.items() if "signature" not in k.lower() and "token" not in k.lower()}
    values = {
        "connection": connection.pk, "delivery_id": delivery_id, "headers": kept_headers,
        "body": body.decode("utf-8", "replace"), "body_sha256": digest,
        "status": InboundEvent.Status.FAILED if error else InboundEvent.Status.RECEIVED, "error": error,
        "received_at": timezone.now(),
    }
    for _ in range(STORE_ATTEMPTS):
        pk = _store_once(values=values, window=window)
        if pk is not None:
            break
        earlier = _first_delivery(connection, delivery_id, digest, window)
        if earlier is not None:
            return earlier, False
        # The earlier delivery went between the two statements (cleaned up): store this one.
    else:
        raise WebhookRejected("The delivery could not be stored; send it again.", status=409)
    event = InboundEvent(pk=pk, **{**values, "connection": connection})
    if error:
        raise WebhookRejected(error, status=400)
    transaction.on_commit(lambda: queue("sync.inbound", event.pk))
    return event, True


def inbound_process(*, event: InboundEvent) -> None:
    """Apply a stored (already verified) delivery."""
    connection = event.connection
    try:
        issues = connector_for(connection).parse_webhook(headers=event.headers, body=event.body.encode())
        waiting = issues_apply(
            connection=connection, issues=issues, via=Via("webhook", event.delivery_id)
        )
    except Exception as exc:
        InboundEvent.objects.filter(pk=event.pk).update(
            status=InboundEvent.Status.FAILED, error=str(exc)[:2000], processed_at=timezone.now()
        )
        return
    if waiting:
        return  # left as received; the relay runs it again
    InboundEvent.objects.filter(pk=event.pk).update(status=InboundEvent.Status.DONE, processed_at=timezone.now())
