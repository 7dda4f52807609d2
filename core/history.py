"""The audit trail as people read it: labels instead of stored codes, moments in the reader's style.

The trail stores what changed as it was (`awaiting_engineering`, `True`,
`2026-12-04 19:26:21.416648+00:00`), which is right for the record and for
machines; a page shows "Awaiting engineering", "yes" and "4 Dec 2026, 19:26".
`history_lines` does that translation once, from the audited model's own field
definitions, for every page that lists an object's history.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from core.audit import audit_history
from core.dates import parse_moment
from core.models import AuditEntry

# What each stored action reads as after the actor's name ("agent linked defect DEF-3").
ACTIONS = {
    "changed": "changed",
    "transition": "moved",
    "shipped": "shipped",
    "created": "created",
    "deleted": "deleted",
    "linked": "linked",
    "relinked": "moved",
    "unlinked": "unlinked",
    "merged": "merged",
    "commented": "commented",
    "fix_released": "recorded the fix as released:",
    "fixed_in_from_code": "read from the code",
    "notices_queued": "queued the customer notices",
    "customer_notified": "notified a customer",
    "converted": "converted",
    "paused": "paused",
    "retried": "retried",
}
# Actions whose value names its field already: "recorded the fix as released: fixed in 2.4.0,
# released 5 Dec 2026", not "...: fixed in release fixed in 2.4.0, ...".
SAYS_ITS_FIELD = {"fix_released"}
# Actions that move a field from one value to another ("from A to B").
CHANGES = {"changed", "transition", "shipped", "fixed_in_from_code"}
CHANNELS = {"web": "the web", "api": "the API", "system": "Handoff"}
CODE = re.compile(r"^[a-z]+(?:_[a-z0-9]+)+$")


def humanize_code(code: str) -> str:
    """'awaiting_engineering' -> 'Awaiting engineering'; anything that is not a code is left alone."""
    if CODE.match(code or ""):
        return code.replace("_", " ").capitalize()
    return code


@dataclass(frozen=True)
class Value:
    """One side of a change: text, or a moment a template writes with `|when`."""

    text: str = ""
    moment: date | datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.text) or self.moment is not None


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    verb: str
    field: str
    old: Value
    new: Value
    changes: bool
    channel: str
    reason: str


def _field(model: type[models.Model], name: str) -> models.Field | None:
    if not name:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def value_label(field: models.Field | None, raw: str) -> Value:
    """A stored value as a person reads it: the choice's label, yes/no, a moment, or the text."""
    if not raw:
        return Value()
    if field is not None and field.flatchoices:
        labels = {str(key): str(label) for key, label in field.flatchoices}
        if raw in labels:
            return Value(text=labels[raw])
    if isinstance(field, models.BooleanField) and raw in {"True", "False"}:
        return Value(text="yes" if raw == "True" else "no")
    if isinstance(field, (models.DateField, models.DateTimeField)) or field is None:
        moment = parse_moment(raw)
        if moment is not None:
            return Value(moment=moment)
    return Value(text=humanize_code(raw))


def field_label(field: models.Field | None, name: str) -> str:
    if field is not None:
        return str(field.verbose_name)
    return name.replace("_", " ")


def channel_label(channel: str) -> str:
    if channel.startswith("tracker:"):
        return f"the tracker {channel.removeprefix('tracker:')}"
    return CHANNELS.get(channel, channel)


def describe(entry: AuditEntry, model: type[models.Model]) -> HistoryLine:
    """One audit row of an object of `model` as a line of its history."""
    field = _field(model, entry.field)
    return HistoryLine(
        at=entry.at,
        who=entry.actor.get_username() if entry.actor_id else channel_label(entry.channel),
        verb=ACTIONS.get(entry.action, entry.action.replace("_", " ")),
        field=field_label(field, entry.field) if entry.field and entry.action not in SAYS_ITS_FIELD else "",
        old=value_label(field, entry.old),
        new=value_label(field, entry.new),
        changes=entry.action in CHANGES,
        channel=channel_label(entry.channel),
        reason=entry.reason,
    )


def history_lines(obj: models.Model, *, limit: int) -> list[HistoryLine]:
    """The newest `limit` changes of `obj`, ready to show (one query)."""
    model = type(obj)
    # describe() reads these alone: not the actor's other columns (their password hash among them).
    entries = audit_history(obj).only(
        "at", "actor_id", "channel", "action", "field", "old", "new", "reason", "actor__username"
    )
    return [describe(entry, model) for entry in entries[:limit]]
