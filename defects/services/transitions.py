"""Engineering status as a state machine.

    new -> triage -> in_progress -> in_verification -> fixed -> released
                                  <- (verification failed)

From any open state (new, triage, in_progress, needs_info, in_verification) a
defect may also go to needs_info, wont_fix, cannot_reproduce or duplicate (of
another defect: its tickets' links move there). needs_info remembers the state
it came from and returns there when the help desk answers. `released` is only
reached by shipping a release (via_release=True). fixed, released, wont_fix,
cannot_reproduce and duplicate are final for this machine.

needs_info, wont_fix and cannot_reproduce need a reason: it is the question or
the explanation the help desk passes on to the customer.

fixed needs a release: the defect's fixed-in release, or the one it was planned
for (which then becomes its fixed-in release), so that shipping that release
moves it on to released.

Outside the machine, a fixed or released defect whose problem came back is
reopened (defect_reopen, asked for by the help desk): it returns to triage
without the release its fix was in.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_changes, audit_record
from core.dates import format_day
from core.words import count_of
from defects.hooks import defect_changed, defect_transitioned
from defects.models import Defect, TicketDefectLink
from defects.services.links import defect_refresh_impact

S = Defect.Status

FORWARD: dict[str, tuple[str, ...]] = {
    S.NEW: (S.TRIAGE,),
    S.TRIAGE: (S.IN_PROGRESS,),
    S.IN_PROGRESS: (S.IN_VERIFICATION,),
    S.IN_VERIFICATION: (S.FIXED, S.IN_PROGRESS),
    S.FIXED: (S.RELEASED,),
}
OUTCOMES: tuple[str, ...] = (S.NEEDS_INFO, S.WONT_FIX, S.CANNOT_REPRODUCE, S.DUPLICATE)
NEEDS_REASON = {S.NEEDS_INFO, S.WONT_FIX, S.CANNOT_REPRODUCE}
# A duplicate's tickets cannot move onto a defect that was itself closed without a fix.
NOT_A_DUPLICATE_TARGET = {S.DUPLICATE, S.WONT_FIX, S.CANNOT_REPRODUCE}
# Closed with no fix to come: a planned release no longer applies.
CLOSED_WITHOUT_FIX = {S.WONT_FIX, S.CANNOT_REPRODUCE, S.DUPLICATE, S.CONVERTED}


def allowed_transitions(defect: Defect, *, via_release: bool = False) -> list[str]:
    """The statuses `defect` may move to now, in a stable order.

    `released` is listed only for a release being shipped (via_release=True).
    """
    status = defect.status
    allowed: list[str] = []
    if status == S.NEEDS_INFO:
        if defect.needs_info_from:
            allowed.append(defect.needs_info_from)
    else:
        allowed.extend(FORWARD.get(status, ()))
    if status in Defect.OPEN_STATUSES:
        allowed.extend(s for s in OUTCOMES if s != status and s not in allowed)
    if not via_release:
        allowed = [s for s in allowed if s != S.RELEASED]
    return [str(s) for s in allowed]


def manual_transitions(defect: Defect) -> list[tuple[str, str]]:
    """(value, label) pairs for the moves a person may pick on a form."""
    labels = dict(S.choices)
    return [(s, labels[s]) for s in allowed_transitions(defect)]


def release_note(defect: Defect) -> str:
    """How a released defect is put to the help desk: its release and the day it shipped."""
    release = defect.fixed_in_release
    if release is None:
        return "released"
    when = format_day(release.released_at) if release.released_at else "date not recorded"
    return f"fixed in {release.version}, released {when}"


def _label(status: str) -> str:
    return S(status).label if status in S.values else repr(status)


def _refuse(defect: Defect, to: str, allowed: list[str]) -> ValidationError:
    """Named as people read them ("In progress"), not as stored (`in_progress`)."""
    listed = ", ".join(_label(s) for s in allowed) if allowed else "none"
    return ValidationError(
        {"to": f"{defect.key} cannot move from {_label(defect.status)} to {_label(to)}; allowed: {listed}."}
    )


def _fix_release(defect: Defect):
    """The release a defect moving to fixed is fixed in: its fixed-in release, else the one it was planned for.

    Without either, a fixed defect would wait for a release that never names it
    (shipping releases only the defects fixed in it), so the move is refused.
    """
    release = defect.fixed_in_release or defect.planned_release
    if release is None:
        raise ValidationError({"to": (
            f"Say in which release {defect.key} is fixed before moving it to Fixed: "
            "set its fixed-in release, or the release it is planned for."
        )})
    return release


def _check_duplicate_target(defect: Defect, duplicate_of) -> Defect:
    if duplicate_of is None or duplicate_of == "":
        raise ValidationError({"duplicate_of": "Name the defect this one duplicates."})
    if not isinstance(duplicate_of, Defect):
        try:
            duplicate_of = Defect.objects.get(pk=duplicate_of)
        except (Defect.DoesNotExist, ValueError, TypeError):
            raise ValidationError({"duplicate_of": f"There is no defect {duplicate_of}."}) from None
    if duplicate_of.pk == defect.pk:
        raise ValidationError({"duplicate_of": "A defect cannot duplicate itself."})
    if duplicate_of.product_id != defect.product_id:
        raise ValidationError({"duplicate_of": f"{duplicate_of.key} is a defect of another product."})
    if duplicate_of.status in NOT_A_DUPLICATE_TARGET:
        raise ValidationError(
            {"duplicate_of": f"{duplicate_of.key} is {duplicate_of.get_status_display().lower()}; "
             "choose the defect that carries the work."}
        )
    return duplicate_of


def _merge_into(*, defect: Defect, target: Defect, actor, channel: str, reason: str) -> list[int]:
    """Move the duplicate's ticket links onto `target`; each move is audited on its ticket."""
    links = list(TicketDefectLink.objects.filter(defect=defect).select_related("ticket"))
    already = set(
        TicketDefectLink.objects.filter(defect=target, ticket_id__in=[link.ticket_id for link in links])
        .values_list("ticket_id", flat=True)
    )
    why = reason or f"{defect.key} is a duplicate of {target.key}"
    moved, dropped = [], []
    for link in links:
        (dropped if link.ticket_id in already else moved).append(link.pk)
        audit_record(
            obj=link.ticket, actor=actor, channel=channel, action="relinked", field="defect",
            old=defect.key, new=target.key, reason=why,
        )
    # A ticket linked to both keeps its link to the target; the duplicate link goes.
    TicketDefectLink.objects.filter(pk__in=dropped).delete()
    TicketDefectLink.objects.filter(pk__in=moved).update(defect=target)
    audit_record(
        obj=target, actor=actor, channel=channel, action="merged",
        new=f"{count_of(len(links), 'ticket')} from {defect.key}", reason=why,
    )
    defect_refresh_impact(defect=defect, actor=actor, channel=channel)
    defect_refresh_impact(defect=target, actor=actor, channel=channel)
    return [link.ticket_id for link in links]


@transaction.atomic
def defect_transition(
    *,
    defect: Defect,
    to: str,
    actor,
    channel: str,
    reason: str = "",
    duplicate_of: Defect | int | None = None,
    via_release: bool = False,
) -> Defect:
    """Move `defect` to status `to`, audited, then let its tickets follow and tell their agents.

    The tracker twins hear of it through `defect_changed`, the tickets through
    `defect_transitioned` (defects/hooks.py), both inside this transaction.

    Raises ValidationError {"to": "... allowed: a, b"} for a move the machine
    does not allow or a move to fixed that names no release (its fixed-in or
    planned release; a planned one becomes the fixed-in release), {"reason": ...}
    when a needed reason is missing and
    {"duplicate_of": ...} for a missing or unsuitable duplicate target.
    Permission checks belong to the caller (views and API). The given instance
    is refreshed under a row lock and returned updated.
    """
    Defect.objects.select_for_update().filter(pk=defect.pk).exists()
    defect.refresh_from_db()
    to = str(to or "")
    reason = (reason or "").strip()
    allowed = allowed_transitions(defect, via_release=via_release)
    if to not in allowed:
        raise _refuse(defect, to, allowed)
    if to in NEEDS_REASON and not reason:
        what = "the question for the help desk" if to == S.NEEDS_INFO else "why, for the customer"
        raise ValidationError({"reason": f"Moving to {_label(to)} needs a reason: {what}."})
    target = _check_duplicate_target(defect, duplicate_of) if to == S.DUPLICATE else None
    fixed_in = _fix_release(defect) if to == S.FIXED else None

    old = defect.status
    changes = {"status": (old, to)}
    defect.needs_info_from = old if to == S.NEEDS_INFO else ""
    defect.status = to
    defect.status_reason = reason
    defect.status_changed_at = timezone.now()
    fields = ["status", "status_reason", "status_changed_at", "needs_info_from", "updated_at"]
    if target is not None:
        changes["duplicate_of"] = (defect.duplicate_of, target)
        defect.duplicate_of = target
        fields.append("duplicate_of")
    if to in CLOSED_WITHOUT_FIX and defect.planned_release_id is not None:
        # No release brings a fix now: the estimate goes (the audit row keeps it), or the ticket
        # would go on reading "Planned: 2.4 (estimate)" beside "closed as won't fix".
        changes["planned_release"] = (defect.planned_release, None)
        defect.planned_release = None
        fields.append("planned_release")
    if fixed_in is not None and defect.fixed_in_release_id is None:
        # Fixed in the release it was planned for: shipping that release releases it.
        changes["fixed_in_release"] = (None, fixed_in)
        defect.fixed_in_release = fixed_in
        fields.append("fixed_in_release")
    defect.save(update_fields=fields)
    audit_changes(obj=defect, actor=actor, channel=channel, changes=changes, action="transition", reason=reason)
    defect_changed.send(defect=defect, changed=frozenset(changes) - {"duplicate_of"}, channel=channel)
    moved: frozenset[int] = frozenset()
    if target is not None:
        moved = frozenset(_merge_into(defect=defect, target=target, actor=actor, channel=channel, reason=reason))
    defect_transitioned.send(
        defect=defect, actor=actor, channel=channel, reason=reason, duplicate_of=target, moved_ticket_ids=moved,
    )
    if target is not None:
        defect.refresh_from_db()
    release = defect.fixed_in_release if to == S.FIXED else None
    if release is not None and release.is_released:
        # Fixed in a release that has already shipped (code traceability found the fix in its tag,
        # or it was marked so): no shipping is left to release it, so it is released now, as
        # shipping would have. Left in Fixed it would wait for ever.
        return defect_transition(
            defect=defect, to=S.RELEASED, actor=actor, channel=channel, via_release=True,
            reason=f"Fixed in {release.product} {release.version}, which has already shipped.",
        )
    return defect


REOPENABLE = (S.FIXED, S.RELEASED)


@transaction.atomic
def defect_reopen(*, defect: Defect, actor, channel: str, reason: str) -> Defect:
    """The problem of a fixed or released defect came back: it returns to triage, audited.

    The fix did not hold, so the release it was said to be fixed in is cleared
    (and a planned release that has shipped since); the audit trail keeps both.
    Its tickets follow and its tracker twins hear of it, as for any move.
    Raises ValidationError {"reason": ...} without a reason and {"to": ...} for
    a defect that is not fixed or released. Permission checks belong to the caller.
    """
    Defect.objects.select_for_update().filter(pk=defect.pk).exists()
    defect.refresh_from_db()
    reason = (reason or "").strip()
    if defect.status not in REOPENABLE:
        raise ValidationError({"to": (
            f"{defect.key} is {defect.get_status_display().lower()}: only a fixed or released defect is reopened."
        )})
    if not reason:
        raise ValidationError({"reason": f"Say what shows the problem of {defect.key} is back."})
    changes: dict[str, tuple] = {"status": (defect.status, S.TRIAGE)}
    if defect.fixed_in_release_id is not None:
        changes["fixed_in_release"] = (defect.fixed_in_release, None)
        defect.fixed_in_release = None
    if defect.planned_release_id is not None and defect.planned_release.is_released:
        changes["planned_release"] = (defect.planned_release, None)
        defect.planned_release = None
    defect.status = S.TRIAGE
    defect.status_reason = reason
    defect.status_changed_at = timezone.now()
    defect.needs_info_from = ""
    defect.save(update_fields=[
        "status", "status_reason", "status_changed_at", "needs_info_from", *[f for f in changes if f != "status"],
        "updated_at",
    ])
    audit_changes(obj=defect, actor=actor, channel=channel, changes=changes, action="transition", reason=reason)
    defect_changed.send(defect=defect, changed=frozenset(changes), channel=channel)
    defect_transitioned.send(
        defect=defect, actor=actor, channel=channel, reason=reason, duplicate_of=None, moved_ticket_ids=frozenset(),
    )
    return defect
