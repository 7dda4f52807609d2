"""Audited writes of plain catalogue records (customers, products, teams, rules).

These records carry no workflow of their own, so one pair of services serves
them all: every create, change and delete writes audit rows with the channel.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from core.audit import audit_changes, audit_record


@transaction.atomic
def record_save(*, instance: models.Model, values: Mapping[str, Any], actor, channel: str) -> models.Model:
    """Create `instance` (when it has no pk) or update it with `values`, audited.

    `values` maps field names to new values; many-to-many fields take an
    iterable of objects and are set after the row is saved. A new record gets
    one "created" row; a change gets one row per field whose value changed.
    """
    creating = instance.pk is None
    changes: dict[str, tuple[Any, Any]] = {}
    many: dict[str, list] = {}
    for name, value in values.items():
        if instance._meta.get_field(name).many_to_many:
            many[name] = list(value)
            if not creating:
                changes[name] = (list(getattr(instance, name).all()), many[name])
        else:
            if not creating:
                changes[name] = (getattr(instance, name), value)
            setattr(instance, name, value)
    instance.save()
    for name, objects in many.items():
        getattr(instance, name).set(objects)
    if creating:
        audit_record(obj=instance, actor=actor, channel=channel, action="created")
    else:
        audit_changes(obj=instance, actor=actor, channel=channel, changes=changes)
    return instance


@transaction.atomic
def record_delete(*, instance: models.Model, actor, channel: str) -> None:
    """Delete `instance`, audited. Raises ProtectedError when other rows still need it."""
    audit_record(obj=instance, actor=actor, channel=channel, action="deleted", old=str(instance))
    instance.delete()
