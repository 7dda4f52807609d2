"""How a ticket's own status follows its defect's engineering status.

A ticket always shows both statuses. When engineering moves the defect a
ticket is linked to (its current defect: the most recently linked one), the
ticket's help-desk status follows these rules:

| defect becomes                       | ticket's status        | the ticket's agent is told                       |
|--------------------------------------|------------------------|--------------------------------------------------|
| new, triage, in_progress,            | `awaiting_engineering` | the new engineering status                       |
| in_verification, fixed               |                        |                                                  |
| needs_info                           | `open`                 | "engineering needs information" and the question |
| wont_fix, cannot_reproduce           | `open`                 | the outcome and engineering's reason             |
| released                             | `open`                 | "fixed in X, released <date>: tell the customer" |
| duplicate                            | follows the defect it duplicates (its links move there)                   |

- `fixed` keeps the ticket waiting on engineering: the customer is told when
  the fix ships, not before.
- A resolved or closed ticket is never reopened by engineering; its agent is
  still told.
- The ticket page shows "engineering needs information" while the defect is in
  needs_info; the agent's shared answer returns the defect to where it was.
- Every status change is audited on the ticket with the defect's reason.
"""

from collections.abc import Iterable

from django.urls import reverse

from core.models import Notification
from core.notifications import notify
from defects.models import Comment, Defect
from defects.services.transitions import release_note
from tickets.models import Ticket
from tickets.selectors import ticket_links_prefetch
from tickets.services.slip import tickets_clear_slip
from tickets.services.tickets import ticket_set_status

S = Defect.Status
ACTIVE = {S.NEW, S.TRIAGE, S.IN_PROGRESS, S.IN_VERIFICATION, S.FIXED}
BACK_TO_HELP_DESK = {S.NEEDS_INFO, S.WONT_FIX, S.CANNOT_REPRODUCE, S.RELEASED}


def ticket_status_for(defect_status: str, ticket_status: str) -> str | None:
    """The help-desk status a ticket should take when its defect reaches `defect_status`.

    None means the ticket keeps its status.
    """
    if ticket_status in {Ticket.Status.RESOLVED, Ticket.Status.CLOSED}:
        return None
    if defect_status in ACTIVE:
        return Ticket.Status.AWAITING_ENGINEERING
    if defect_status in BACK_TO_HELP_DESK:
        return Ticket.Status.OPEN
    return None


def following_tickets(defect: Defect) -> list[Ticket]:
    """Tickets whose current defect is `defect` (two queries, whatever their number)."""
    tickets = (
        Ticket.objects.filter(defect_links__defect=defect)
        .select_related("assignee")
        .prefetch_related(ticket_links_prefetch())
        .distinct()
    )
    return [t for t in tickets if t.current_link and t.current_link.defect_id == defect.pk]


def follow_message(defect: Defect, ticket: Ticket, reason: str) -> tuple[str, str]:
    """(notification kind, message) telling the ticket's agent what the defect's move means."""
    why = f": {reason}" if reason else ""
    if defect.status == S.NEEDS_INFO:
        return Notification.Kind.NEEDS_INFO, f"Engineering needs information on {defect.key} for {ticket.number}{why}"
    if defect.status == S.RELEASED:
        return (
            Notification.Kind.RELEASED,
            help_desk_message(defect, ticket, f"{release_note(defect)}. Tell the customer."),
        )
    return (
        Notification.Kind.DEFECT_STATUS,
        # The status as people read it ("moved to In progress"), never its code.
        f"{defect.key} for {ticket.number} moved to {defect.get_status_display()}{why}",
    )


def tickets_follow_defect(
    *, defect: Defect, actor, channel: str, reason: str = "", tickets: Iterable[Ticket] | None = None
) -> list[Ticket]:
    """Apply the rules above to every ticket following `defect` (or only `tickets`), and tell their agents.

    Callers hold the transaction (defect_transition does). Returns the tickets considered.
    """
    if tickets is None:
        tickets = following_tickets(defect)
    tickets = list(tickets)
    for ticket in tickets:
        target = ticket_status_for(defect.status, ticket.status)
        if target is not None:
            moved = f"{defect.key} moved to {defect.get_status_display().lower()}"
            ticket_set_status(
                ticket=ticket, status=target, actor=actor, channel=channel,
                reason=f"{moved}: {reason}" if reason else moved,
            )
        kind, message = follow_message(defect, ticket, reason)
        notify(
            users=[ticket.assignee], kind=kind, message=message,
            url=reverse("tickets:detail", args=[ticket.pk]), actor=actor,
        )
    return tickets


# Receivers of the defects app's hooks (defects/hooks.py), connected in TicketsConfig.ready().


def tickets_on_defect_transitioned(
    *, defect: Defect, actor, channel: str, reason: str,
    duplicate_of: Defect | None, moved_ticket_ids: frozenset[int],
) -> None:
    """The defect moved: a fix ends a slipped estimate, and its tickets follow (a duplicate's follow the target)."""
    if defect.status in (S.FIXED, S.RELEASED):
        # A fix ends any slipped estimate on the tickets.
        tickets_clear_slip(defect=defect, actor=actor, channel=channel)
    if duplicate_of is None:
        tickets_follow_defect(defect=defect, actor=actor, channel=channel, reason=reason)
    else:
        tickets_follow_defect(
            defect=duplicate_of, actor=actor, channel=channel,
            reason=f"{defect.key} is a duplicate of {duplicate_of.key}",
            tickets=[t for t in following_tickets(duplicate_of) if t.pk in moved_ticket_ids],
        )


def help_desk_message(defect: Defect, ticket: Ticket, text: str) -> str:
    """What a ticket's agent is told of its defect: "DEF-7 for HD-1042: <text>"."""
    return f"{defect.key} for {ticket.number}: {text}"


def plan_text(release) -> str:
    """A defect's planned release as the help desk hears of it: an estimate, never a promise."""
    return f"planned for {release.version} (an estimate, not a promise)" if release else "no planned release any more"


def _tell_the_help_desk(*, defect: Defect, actor, kind: str, text: str) -> None:
    for ticket in following_tickets(defect):
        notify(
            users=[ticket.assignee], kind=kind, message=help_desk_message(defect, ticket, text),
            url=reverse("tickets:detail", args=[ticket.pk]), actor=actor,
        )


def tickets_on_defect_edited(*, defect: Defect, changes: dict, actor, channel: str) -> None:
    """Engineering edited the defect: the help desk hears of a new plan, severity or fix."""
    if "planned_release" in changes:
        release = defect.planned_release
        if release is not None:
            # A new estimate replaces one that slipped: the help desk may quote it.
            tickets_clear_slip(defect=defect, actor=actor, channel=channel)
        _tell_the_help_desk(
            defect=defect, actor=actor, kind=Notification.Kind.PLANNED_RELEASE, text=plan_text(release),
        )
    if "severity" in changes:
        _tell_the_help_desk(
            defect=defect, actor=actor, kind=Notification.Kind.SEVERITY,
            text=f"severity {changes['severity'][0]} -> {defect.severity}: {defect.severity_reason}",
        )
    if "fixed_in_release" in changes and defect.fixed_in_release:
        _tell_the_help_desk(
            defect=defect, actor=actor, kind=Notification.Kind.DEFECT_STATUS,
            text=f"fixed in {defect.fixed_in_release.version} (not shipped yet)"
            if not defect.fixed_in_release.is_released else f"fixed in {defect.fixed_in_release.version}",
        )


def tickets_on_engineering_commented(*, defect: Defect, comment: Comment, actor) -> None:
    """Engineering shared a comment: the agents of the tickets following the defect are told."""
    who = actor.get_username() if actor else "Someone"
    for ticket in following_tickets(defect):
        notify(
            users=[ticket.assignee], kind=Notification.Kind.COMMENT,
            message=f"{who} commented on {defect.key} for {ticket.number}",
            url=reverse("tickets:detail", args=[ticket.pk]), actor=actor,
        )
