"""Writing the audit trail: who changed what, from what to what, when and how."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEntry


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(_text(v) for v in value))
    return str(value)


def audit_record(
    *,
    obj: models.Model,
    actor,
    channel: str,
    action: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        channel=channel,
        action=action,
        field=field,
        old=_text(old),
        new=_text(new),
        reason=reason,
    )


def audit_changes(
    *,
    obj: models.Model,
    actor,
    channel: str,
    changes: Mapping[str, tuple[Any, Any]],
    action: str = "changed",
    reason: str = "",
) -> list[AuditEntry]:
    """One row per field whose value really changed."""
    ct = ContentType.objects.get_for_model(obj)
    user = actor if getattr(actor, "is_authenticated", False) else None
    rows = [
        AuditEntry(
            content_type=ct,
            object_id=obj.pk,
            object_repr=str(obj)[:200],
            actor=user,
            channel=channel,
            action=action,
            field=field,
            old=_text(old),
            new=_text(new),
            reason=reason,
        )
        for field, (old, new) in changes.items()
        if _text(old) != _text(new)
    ]
    return AuditEntry.objects.bulk_create(rows)


def audit_history(obj: models.Model) -> Iterable[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
