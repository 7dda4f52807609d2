"""Telling people what changed: an in-app row per user, and an email when they have an address.

`notify` is called by services inside their transaction. The rows commit or roll
back with the change; the emails are sent only once the transaction commits
(through a Celery task, in-process in the demo), so nobody is mailed about a
change that never happened. A user who chose a digest (core.models.Preference)
gets no email per row: core.digests sends them one email an hour or a day.

The list groups rows by subject, the page they link to, so one defect's life is
one entry per ticket or defect with its latest change and a count, not one row
per event (`notification_groups`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from core.models import Notification, Preference
from core.tasks import send_notification_email

KINDS = set(Notification.Kind.values)
# The filters of the list and the API: `?show=mine` etc.
FILTERS = {
    "mine": ("Mine", Q(team_wide=False)),
    "needs_info": ("Needs information", Q(kind=Notification.Kind.NEEDS_INFO)),
    "released": ("Released", Q(kind=Notification.Kind.RELEASED)),
    "unread": ("Unread", Q(read_at__isnull=True)),
}
# Needs action first: what the dashboard keeps on top until it is read, however much came after.
NEEDS_ACTION = Q(kind=Notification.Kind.NEEDS_INFO, read_at__isnull=True)
MAX_PINNED = 50
# How many of a user's newest messages the list groups (notification_group_rows).
GROUPED_WINDOW = 2000


def subject_of(url: str) -> str:
    """What a notification is about: the page it links to, without query or fragment."""
    return url.split("#")[0].split("?")[0][:300]


def absolute_url(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.HANDOFF_BASE_URL.rstrip("/") + url


def notify(
    *, users: Iterable, kind: str, message: str, url: str = "", actor=None, team_wide: bool = False
) -> list[Notification]:
    """Write one notification per distinct user (never to the actor) and queue their emails.

    `users` may hold None and duplicates; both are dropped. `team_wide` when they are
    told as members of a team rather than for their own ticket or a mention (the
    list's "Mine" leaves those out). Users on a digest get no email now. Returns the
    rows written.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    actor_id = getattr(actor, "pk", None)
    recipients = {}
    for user in users:
        if user is None or user.pk == actor_id or not user.is_active:
            continue
        recipients[user.pk] = user
    if not recipients:
        return []
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    on_digest = set(
        Preference.objects.filter(user_id__in=recipients)
        .exclude(digest=Preference.Digest.IMMEDIATE)
        .values_list("user_id", flat=True)
    )
    mailed = {pk: user for pk, user in recipients.items() if user.email and pk not in on_digest}
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user=user, kind=kind, message=message[:500], url=url[:300], actor=actor_user,
                subject=subject_of(url) or f"kind:{kind}", team_wide=team_wide, created_at=now,
                emailed_at=now if user.pk in mailed else None,
            )
            for user in recipients.values()
        ]
    )
    addresses = sorted({user.email for user in mailed.values()})
    if addresses:
        # A reason typed in a textarea may hold line breaks; a mail header may not.
        subject = "[Handoff] " + " ".join(message.split())[:120]
        body = f"{message}\n\n{absolute_url(url)}\n" if url else f"{message}\n"
        transaction.on_commit(lambda: _send(subject, body, addresses))
    return rows


def _send(subject: str, body: str, addresses: list[str]) -> None:
    for address in addresses:
        send_notification_email.delay(subject, body, address)


def notifications_mark_read(
    *, user, ids: Iterable[int] | None = None, subjects: Iterable[str] | None = None
) -> int:
    """Mark the user's unread notifications read: all of them, or only those in `ids`, or
    every one about the given subjects (a whole entry of the grouped list). Returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    if subjects is not None:
        qs = qs.filter(subject__in=list(subjects))
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class NotificationGroup:
    """One entry of the list: everything about one subject, shown by its latest message."""

    latest: Notification
    count: int
    unread: int

    @property
    def subject(self) -> str:
        return self.latest.subject


def notification_filter(user, show: str = "") -> QuerySet:
    """The user's notifications, narrowed by one of FILTERS (an unknown name narrows nothing)."""
    qs = Notification.objects.filter(user=user)
    if show in FILTERS:
        qs = qs.filter(FILTERS[show][1])
    return qs


def notification_group_rows(qs: QuerySet) -> QuerySet:
    """One row per subject, newest first: {subject, latest_id, count, unread} (a GROUP BY;
    paginate it like any queryset, then `notification_groups_of` reads the rows shown).

    Only the newest GROUPED_WINDOW messages of `qs` are grouped: an engineer on busy teams
    gathers a hundred thousand routed defects over the years, and grouping them all took
    a third of a second a page. Counts are of the window's messages; older ones stay
    stored and are marked read with their subject.
    """
    # By time alone, so that each filter's index serves it (notification_unread for unread).
    newest = qs.order_by("-created_at").values("pk")[:GROUPED_WINDOW]
    return (
        qs.filter(pk__in=newest).order_by()
        .values("subject")
        .annotate(latest_id=Max("id"), count=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
        .order_by("-latest_id")
    )


def notification_groups_of(rows: Iterable[dict]) -> list[NotificationGroup]:
    """The groups of `rows` (from notification_group_rows) with their latest message (one query)."""
    rows = list(rows)
    latest = Notification.objects.select_related("actor").in_bulk([row["latest_id"] for row in rows])
    return [
        NotificationGroup(latest=latest[row["latest_id"]], count=row["count"], unread=row["unread"])
        for row in rows
        if row["latest_id"] in latest
    ]


def notification_groups(user, show: str = "", *, limit: int) -> list[NotificationGroup]:
    """The newest `limit` groups of the user's notifications (two queries)."""
    return notification_groups_of(notification_group_rows(notification_filter(user, show))[:limit])


def inbox_state(user) -> tuple[int, object]:
    """(how many unread messages, the newest one's time): what the dashboard's inbox stands on, in one query.

    The inbox shows unread messages only, and those change only when one arrives (a newer
    newest: notify writes the time of now) or is marked read (one fewer). Read off the
    partial index of unread messages alone.
    """
    state = Notification.objects.filter(user=user, read_at__isnull=True).aggregate(
        unread=Count("created_at"), newest=Max("created_at"),
    )
    return state["unread"], state["newest"]


@dataclass(frozen=True)
class Inbox:
    """The dashboard's view of the notifications: what needs action, pinned, then the latest unread.
    (How many are unread, and whether the inbox changed: inbox_state.)"""

    needs_action: list[NotificationGroup]
    latest: list[NotificationGroup]


def dashboard_inbox(user, *, latest: int = 5) -> Inbox:
    """Unread questions from engineering stay on top however many messages come after them;
    then the latest other unread entries. Three queries, whatever the numbers."""
    mine = Notification.objects.filter(user=user)
    pinned_rows = list(notification_group_rows(mine.filter(NEEDS_ACTION))[:MAX_PINNED])
    pinned = {row["subject"] for row in pinned_rows}
    other_rows = list(
        notification_group_rows(mine.filter(read_at__isnull=True).exclude(subject__in=pinned))[:latest]
    )
    groups = notification_groups_of(pinned_rows + other_rows)
    return Inbox(
        needs_action=[g for g in groups if g.latest.kind == Notification.Kind.NEEDS_INFO and g.subject in pinned],
        latest=[g for g in groups if g.subject not in pinned],
    )
