"""Where each synced value came from: one FieldSource row per linked pair and field.

A push records the portal side, naming who made the change and through what
from the defect's (or request's) own audit trail (the newest change of that field not made by
this tracker); a pull records the tracker side, through a webhook delivery (with
its id), a poll, or a link made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from core.models import AuditEntry, Channel
from sync.models import ExternalIssue, FieldSource

# The synced fields, and the defect fields (as the audit trail names them) each one carries.
AUDITED_AS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "priority": ("severity",),
    "version": ("planned_release", "fixed_in_release"),
    "title": ("title",),
    "description": ("description",),
}
# The same for an enhancement request's twin.
REQUEST_AUDITED_AS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "title": ("title",),
    "description": ("problem", "workaround"),
}
LABELS = {
    "status": "Status", "priority": "Severity / priority", "version": "Release", "title": "Title",
    "description": "Description",
}


@dataclass(frozen=True)
class Via:
    """How a tracker's state reached the portal: "webhook" (with its delivery id), "poll" or "link"."""

    channel: str
    delivery_id: str = ""


POLL = Via("poll")
LINK = Via("link")


def _text(value) -> str:
    return "" if value is None else str(value)[:300]


def _moment(value: str):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return timezone.now()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _actor_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username())[:150]


def ledger_record_pulled(*, twin: ExternalIssue, field: str, value, via: Via, updated_at: str = "") -> None:
    """The tracker set `field` of this pair to `value` (applied to the defect)."""
    FieldSource.objects.update_or_create(
        twin=twin, field=field,
        defaults={
            "value": _text(value), "side": FieldSource.Side.TRACKER, "actor": twin.connection.name[:150],
            "channel": via.channel, "delivery_id": via.delivery_id[:200],
            "at": _moment(updated_at) if updated_at else timezone.now(),
        },
    )


def ledger_record_pushed(*, twin: ExternalIssue, fields: dict) -> None:
    """The portal's values of `fields` (tracker terms) reached the tracker: record who set each, and how."""
    for field, value in fields.items():
        if field not in AUDITED_AS:
            continue
        source = _portal_change(twin, field)
        FieldSource.objects.update_or_create(
            twin=twin, field=field,
            defaults={
                "value": _text(value), "side": FieldSource.Side.PORTAL,
                "actor": _actor_name(source.actor) if source else "",
                "channel": source.channel if source else Channel.SYSTEM, "delivery_id": "",
                "at": source.at if source else timezone.now(),
            },
        )


def _portal_change(twin: ExternalIssue, field: str) -> AuditEntry | None:
    """The newest audit row that set `field` on the defect or request (or created it), not made by this tracker."""
    kind = twin.subject_kind
    model = ExternalIssue._meta.get_field(kind).related_model
    names = (AUDITED_AS if kind == "defect" else REQUEST_AUDITED_AS).get(field, ())
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=twin.defect_id or twin.request_id,
        )
        .filter(Q(field__in=names) | Q(action="created"))
        .exclude(channel=Channel.tracker(twin.connection.name))
        .select_related("actor").order_by("-at", "-id").first()
    )
