"""Notification digests: one email an hour or a day, for users who chose one (core.models.Preference).

The periodic task `core.send_digests` (CELERY_BEAT_SCHEDULE) calls `digests_send_due`
every few minutes. It is safe to repeat: under the preference's row lock a digest
is sent only when its period is over, and it claims its notifications by setting
`emailed_at` on rows that had none, so no notification is mailed twice, even by
two workers at once. Only unread notifications go out: what the user already saw
in the portal needs no email.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.models import Notification, Preference
from core.notifications import absolute_url
from core.tasks import send_notification_email

PERIODS = {
    Preference.Digest.HOURLY: timedelta(hours=1),
    Preference.Digest.DAILY: timedelta(days=1),
}
# The most notifications one digest lists; the rest wait for the next one.
MAX_PER_DIGEST = 500


@dataclass(frozen=True)
class DigestEntry:
    """What the digest says about one ticket, defect or request: its latest message and how many."""

    message: str
    link: str
    count: int


def _due(now: datetime) -> Q:
    """Preferences whose digest period is over."""
    due = Q(pk__in=[])
    for digest, period in PERIODS.items():
        due |= Q(digest=digest, digest_from__lte=now - period)
    return due


def digest_entries(notes: list[Notification]) -> list[DigestEntry]:
    """Group notifications (oldest first) by subject, newest subject first."""
    groups: dict[str, list[Notification]] = {}
    for note in notes:
        groups.setdefault(note.subject, []).append(note)
    ordered = sorted(groups.values(), key=lambda group: group[-1].pk, reverse=True)
    return [DigestEntry(message=g[-1].message, link=absolute_url(g[-1].url), count=len(g)) for g in ordered]


def digest_send(*, user_id: int, now: datetime | None = None) -> int:
    """Send the user's digest if its period is over; start the next period. Returns how many
    notifications it carried (0 when not due, nothing new, or no address)."""
    now = now or timezone.now()
    with transaction.atomic():
        pref = Preference.objects.select_for_update().select_related("user").filter(user_id=user_id).first()
        if pref is None or pref.digest not in PERIODS or pref.digest_from > now - PERIODS[pref.digest]:
            return 0
        pending = Notification.objects.filter(
            user_id=user_id, emailed_at__isnull=True, read_at__isnull=True, created_at__gte=pref.digest_from,
            created_at__lte=now,
        )
        notes = list(pending.order_by("created_at", "id")[:MAX_PER_DIGEST])
        pref.digest_from = now
        pref.save(update_fields=["digest_from"])
        # Claim them: only rows still unclaimed, so a second sender finds none.
        claimed = Notification.objects.filter(pk__in=[n.pk for n in notes], emailed_at__isnull=True).update(
            emailed_at=now
        )
        user = pref.user
        if not notes or not claimed or not user.email or not user.is_active:
            return 0
        entries = digest_entries(notes)
        period = "hour" if pref.digest == Preference.Digest.HOURLY else "day"
        subject = f"[Handoff] {len(entries)} update{'s' if len(entries) != 1 else ''} in the last {period}"
        body = render_to_string("core/email/digest.txt", {
            "user": user, "entries": entries, "period": period, "link": absolute_url("/notifications/"),
        })
        address = user.email
        transaction.on_commit(lambda: send_notification_email.delay(subject, body, address))
        return len(notes)


def digests_send_due(*, now: datetime | None = None) -> int:
    """Send every digest whose period is over. Returns how many digests carried something."""
    now = now or timezone.now()
    due = Preference.objects.filter(_due(now)).values_list("user_id", flat=True)
    return sum(1 for user_id in list(due) if digest_send(user_id=user_id, now=now))
