"""Enhancement requests in the product team's tracker: sending one there, and what comes back.

A request routed to a product team whose team has a tracker connection is
created there when it is created here, as the connection's request type (a
Jira issue type, a GitHub or GitLab label, a Redmine tracker; see
sync/config.py). A request with no such team is sent by hand by a product
manager or manager (`request_send_to_tracker`). From then on its title and
description, status and comments follow through the outbox (services/twins.py).

What the tracker sends back reaches the two functions below through the
slots of sync.hooks (filled in apps.py): a status set there walks this app's
own moves (`request_transition`, each audited as made by the tracker), and a
move the machine refuses changes nothing and is audited as refused; a comment
written there joins the request's thread.
"""

from collections import deque

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_record
from enhancements.models import EnhancementRequest
from enhancements.services.comments import MAX_BODY, request_comment_add
from enhancements.services.transitions import allowed_transitions, request_transition
from sync.models import Connection, ExternalIssue, OutboxItem
from sync.outbox import outbox_enqueue_request

S = EnhancementRequest.Status
# A tracker cannot set these: a duplicate names the request it duplicates, a conversion makes a defect.
NOT_FROM_TRACKER = {S.DUPLICATE: "the request it duplicates", S.CONVERTED: "the defect it becomes"}


def _label(status: str) -> str:
    return S(status).label if status in S.values else repr(status)


@transaction.atomic
def request_send_to_tracker(
    *, request: EnhancementRequest, connection: Connection, actor, channel: str
) -> EnhancementRequest:
    """Create the open request's issue in `connection`'s tracker (the push follows the commit).

    Raises ValidationError keyed by "connection": switched off, already holding
    the request's issue, or about to; keyed by "request" when it is not open.
    Permission checks belong to the caller.
    """
    request = EnhancementRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise ValidationError(
            {"request": f"{request.key} is {request.get_status_display().lower()}; only an open request is sent."}
        )
    if not connection.enabled:
        raise ValidationError({"connection": f"{connection.name} is switched off."})
    twin = ExternalIssue.objects.filter(request=request, connection=connection).first()
    if twin is not None:
        raise ValidationError({"connection": f"{request.key} is already in {connection.name} as {twin.key}."})
    queued = OutboxItem.objects.filter(
        request=request, connection=connection, kind=OutboxItem.Kind.CREATE
    ).exclude(status=OutboxItem.Status.FAILED)
    if queued.exists():
        raise ValidationError({"connection": f"{request.key} is on its way to {connection.name}."})
    outbox_enqueue_request(request=request, kind=OutboxItem.Kind.CREATE, connection=connection, channel=channel)
    audit_record(obj=request, actor=actor, channel=channel, action="sent", field="tracker", new=connection.name)
    return request


def _route(start: str, target: str) -> list[str]:
    """The shortest chain of allowed moves from `start` to `target` (trackers let people skip steps)."""
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        status, path = queue.popleft()
        for step in allowed_transitions(EnhancementRequest(status=status)):
            if step in seen:
                continue
            if step == target:
                return [*path, step]
            seen.add(step)
            queue.append((step, [*path, step]))
    return []


def _walk(request: EnhancementRequest, to: str, channel: str, reason: str) -> None:
    if to in NOT_FROM_TRACKER:
        raise ValidationError({"to": f"{_label(to)} is set in Handoff, with {NOT_FROM_TRACKER[to]}."})
    steps = _route(request.status, to)
    if not steps:
        allowed = ", ".join(_label(s) for s in allowed_transitions(request)) or "none"
        raise ValidationError(
            {"to": f"{request.key} cannot move from {_label(request.status)} to {_label(to)}; allowed: {allowed}."}
        )
    for step in steps:
        extra = {}
        if step == S.PLANNED and request.target_release_id is None:
            raise ValidationError(
                {"target_release": f"{request.key} has no target release: plan it in Handoff, with its release."}
            )
        if step == S.DELIVERED:
            shipped = request.target_release if request.target_release_id else None
            if shipped is None or shipped.released_at is None:
                raise ValidationError(
                    {"release": f"{request.key} has no shipped target release: mark it delivered in Handoff, "
                     "with the release that shipped it."}
                )
            extra["release"] = shipped
        request_transition(request=request, to=step, actor=None, channel=channel, reason=reason, **extra)


def request_apply_tracker_status(*, request: EnhancementRequest, to: str, channel: str, reason: str) -> None:
    """Move `request` to `to` as the tracker of `channel` asks (the sync.hooks.request_apply_status slot).

    Skipped steps are walked, each audited as the tracker's move. All or
    nothing: a move the machine refuses (a final status, a duplicate, a plan
    without a target release, a delivery without a shipped one) leaves the
    request as it was, is audited as refused, and raises the ValidationError.
    The refusal's audit row is written in the caller's transaction (the sync
    engine's, which records the refusal as a conflict and goes on).
    """
    request.refresh_from_db()
    if to == request.status:
        return
    try:
        with transaction.atomic():
            _walk(request, to, channel, reason)
    except ValidationError as exc:
        request.refresh_from_db()
        audit_record(
            obj=request, actor=None, channel=channel, action="refused", field="status",
            old=request.status, new=to, reason=" ".join(exc.messages),
        )
        raise


def request_comment_from_tracker(*, request: EnhancementRequest, body: str, channel: str) -> int:
    """A tracker's comment joins the request's thread (the sync.hooks.request_comment_add slot)."""
    return request_comment_add(request=request, author=None, body=body[:MAX_BODY], channel=channel).pk
