"""Applying a tracker's change to the portal, through the services a person's change uses.

Every change here is made with channel Channel.tracker(<connection name>) and
no user, so it is audited as made by that tracker and is not queued back to it.

An enhancement request takes its status and new comments from its tracker,
through the requests app's own services, reached by the slots of sync.hooks
(that app sits above this one): its status machine refuses what it does not
allow, and the refusal is the NotApplied here.
"""

from __future__ import annotations

from collections import deque

from django.core.exceptions import ValidationError

from core.models import Channel
from defects.models import Comment, Defect
from defects.services.changes import defect_update
from defects.services.comments import comment_add, comment_delete, comment_edit
from defects.services.transitions import allowed_transitions, defect_transition
from sync import hooks
from sync.config import ConnectionConfig
from sync.models import Connection, ExternalIssue
from sync.services.translate import description_sections

S = Defect.Status
# Statuses a tracker cannot put a defect in: released comes only from shipping a
# release, duplicate needs the other defect, converted only from converting it to a request.
NOT_FROM_TRACKER = {S.RELEASED, S.DUPLICATE, S.CONVERTED}


class NotApplied(Exception):
    """The portal cannot take this tracker value; the message says why."""


def _path(defect: Defect, target: str) -> list[str]:
    """The shortest chain of allowed moves from the defect's status to `target`.

    Trackers let engineers skip steps (New straight to Resolved); the portal's
    machine does not, so the skipped steps are walked, each one audited.
    """
    start = defect.status
    queue: deque[tuple[str, str, list[str]]] = deque([(start, defect.needs_info_from, [])])
    seen = {start}
    while queue:
        status, came_from, path = queue.popleft()
        probe = Defect(status=status, needs_info_from=came_from)
        for nxt in allowed_transitions(probe):
            if nxt in seen:
                continue
            if nxt == target:
                return [*path, nxt]
            seen.add(nxt)
            queue.append((nxt, status if nxt == S.NEEDS_INFO else "", [*path, nxt]))
    return []


def apply_status(*, defect: Defect, connection: Connection, config: ConnectionConfig, tracker_value: str) -> None:
    target = config.portal_status(tracker_value, current=defect.status)
    if target is None:
        raise NotApplied(f"The tracker status {tracker_value!r} is not in the status map.")
    if target == defect.status:
        return
    if target in NOT_FROM_TRACKER:
        raise NotApplied(f"{target} cannot be set from a tracker.")
    steps = _path(defect, target)
    if not steps:
        raise NotApplied(f"The portal cannot move from {defect.status} to {target}.")
    channel = Channel.tracker(connection.name)
    reason = f"Set to {tracker_value} in {connection.name}."
    for step in steps:
        defect_transition(defect=defect, to=step, actor=None, channel=channel, reason=reason)


def apply_priority(*, defect: Defect, connection: Connection, config: ConnectionConfig, tracker_value: str) -> None:
    severity = config.portal_severity(tracker_value, current=defect.severity)
    if severity is None:
        raise NotApplied(f"The tracker priority {tracker_value!r} is not in the priority map.")
    if severity == defect.severity:
        return
    defect_update(
        defect=defect, actor=None, channel=Channel.tracker(connection.name),
        severity=severity, severity_reason=f"Priority set to {tracker_value} in {connection.name}.",
    )


def apply_version(
    *, defect: Defect, connection: Connection, config: ConnectionConfig, tracker_value: str | None
) -> None:
    """The tracker's target version is the fixed-in release once fixed, the planned one before."""
    field = "fixed_in_release" if defect.status in (S.FIXED, S.RELEASED) else "planned_release"
    version = config.portal_version(tracker_value)
    release = None
    if version:
        # Releases live in an app above this one: reach them through the defect's own foreign key.
        releases = Defect._meta.get_field(field).related_model.objects
        release = releases.filter(product_id=defect.product_id, version=version).first()
        if release is None:
            raise NotApplied(f"{defect.product} has no release {version}.")
    if getattr(defect, f"{field}_id") == (release.pk if release else None):
        return
    defect_update(defect=defect, actor=None, channel=Channel.tracker(connection.name), **{field: release})


def apply_title(*, defect: Defect, connection: Connection, config: ConnectionConfig, tracker_value: str) -> None:
    if (tracker_value or "").strip() and tracker_value.strip() != defect.title:
        defect_update(defect=defect, actor=None, channel=Channel.tracker(connection.name), title=tracker_value)


APPLIERS = {"status": apply_status, "priority": apply_priority, "version": apply_version, "title": apply_title}


def apply_field(*, defect: Defect, connection: Connection, config: ConnectionConfig, field: str, tracker_value) -> None:
    """Raises NotApplied (with the portal's own message for a refused change)."""
    try:
        APPLIERS[field](defect=defect, connection=connection, config=config, tracker_value=tracker_value)
    except ValidationError as exc:
        raise NotApplied("; ".join(exc.messages)) from None


def apply_description(*, defect: Defect, connection: Connection, config: ConnectionConfig, tracker_value: str) -> None:
    """The tracker's description, read back into the summary and the report's sections
    (translate.description_sections: text outside the sections lands in the summary)."""
    sections = description_sections(tracker_value)
    changes = {name: value for name, value in sections.items() if getattr(defect, name) != value}
    if changes:
        defect_update(defect=defect, actor=None, channel=Channel.tracker(connection.name), **changes)


APPLIERS["description"] = apply_description


def apply_request_field(*, request, connection: Connection, config: ConnectionConfig, field: str,
                        tracker_value) -> None:
    """A tracker's value of an enhancement request's field. Only the status comes back from a tracker:
    the request's text is product management's, written in Handoff. Raises NotApplied."""
    if field != "status":
        return
    target = config.portal_request_status(tracker_value, current=request.status)
    if target is None:
        raise NotApplied(f"The tracker status {tracker_value!r} is not in the request status map.")
    if target == request.status:
        return
    try:
        hooks.request_apply_status(
            request=request, to=target, channel=Channel.tracker(connection.name),
            reason=f"Set to {tracker_value} in {connection.name}.",
        )
    except ValidationError as exc:
        raise NotApplied("; ".join(exc.messages)) from None


def apply_to_twin(*, twin: ExternalIssue, connection: Connection, config: ConnectionConfig, field: str,
                  tracker_value) -> None:
    """apply_field for the twin's defect, or apply_request_field for its request. Raises NotApplied."""
    if twin.request_id:
        apply_request_field(request=twin.request, connection=connection, config=config, field=field,
                            tracker_value=tracker_value)
    else:
        apply_field(defect=twin.defect, connection=connection, config=config, field=field,
                    tracker_value=tracker_value)


def _signed(body: str, author: str, connection: Connection) -> str:
    return f"{body.strip()}\n\n-- {author or 'someone'}, in {connection.name}"


def apply_comment(*, defect: Defect, connection: Connection, body: str, author: str):
    return comment_add(
        actor=None, channel=Channel.tracker(connection.name), body=_signed(body, author, connection),
        visibility="shared", defect=defect,
    )


def apply_request_comment(*, request, connection: Connection, body: str, author: str) -> int:
    """A tracker's new comment into the request's thread; returns the portal comment's id."""
    return hooks.request_comment_add(
        request=request, body=_signed(body, author, connection), channel=Channel.tracker(connection.name)
    )


def apply_comment_change(
    *, connection: Connection, comment_id: int, body: str = "", author: str = "", deleted: bool = False
) -> None:
    """A tracker comment edited (new `body`) or `deleted` there: its portal twin follows, in place."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        return
    channel = Channel.tracker(connection.name)
    if deleted:
        comment_delete(comment=comment, actor=None, channel=channel, where=connection.name)
    elif comment.deleted_at is None:
        comment_edit(comment=comment, actor=None, channel=channel, body=_signed(body, author, connection))
