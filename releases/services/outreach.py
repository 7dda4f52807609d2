"""Telling customers that a release fixes what they reported, once per contact.

The ledger (ReleaseNotice, unique per release and contact) makes it safe to
repeat: queuing adds rows only for contacts not yet in it, and a sender claims
a pending row in one UPDATE before sending, so no run sends a notice that
another run already claimed or sent.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_record
from core.models import Channel
from core.tasks import queue
from releases.models import Release, ReleaseNotice
from releases.selectors import notice_progress
from releases.services.report import ReportContact, release_report

logger = logging.getLogger(__name__)


@transaction.atomic
def release_queue_notices(*, release: Release, actor, channel: str) -> dict[str, int]:
    """Queue a notice for every affected contact not yet told, and send them in the background.

    A notice that failed earlier goes back to pending; sent ones are never
    queued again. The sending task starts after the transaction commits.
    Raises ValidationError while the release has not shipped.
    """
    release = Release.objects.select_for_update().get(pk=release.pk)
    if not release.is_released:
        raise ValidationError({"release": "Ship the release before telling customers about it."})
    contacts = release_report(release, with_upgrades=False).contacts
    ReleaseNotice.objects.bulk_create(
        [ReleaseNotice(release=release, contact=c.contact, queued_by=actor) for c in contacts],
        ignore_conflicts=True,
    )
    retried = ReleaseNotice.objects.filter(release=release, status=ReleaseNotice.Status.FAILED).update(
        status=ReleaseNotice.Status.PENDING, error="", claimed_at=None
    )
    progress = notice_progress(release)
    audit_record(
        obj=release, actor=actor, channel=channel, action="notices_queued",
        new=f"{progress['pending']} pending ({retried} retried), {progress['sent']} already sent",
    )
    if progress["pending"]:
        release_id = release.pk
        transaction.on_commit(lambda: queue("releases.send_release_notices", release_id))
    return progress


def _claim(notice_id: int) -> bool:
    return bool(
        ReleaseNotice.objects.filter(pk=notice_id, status=ReleaseNotice.Status.PENDING).update(
            status=ReleaseNotice.Status.SENDING, claimed_at=timezone.now()
        )
    )


def notice_email(release: Release, recipient: ReportContact) -> tuple[str, str]:
    """Subject and body telling one contact, in terms of their own tickets, where the fix is."""
    tickets = recipient.tickets
    first = tickets[0]
    more = f" and {len(tickets) - 1} more" if len(tickets) > 1 else ""
    subject = f"Fixed in {release.product} {release.version}: {first.number} {first.subject}{more}"
    body = render_to_string(
        "releases/email/fix_notice.txt",
        {"release": release, "contact": recipient.contact, "tickets": tickets},
    )
    # Subjects come from customers' own words; a line break would be a header injection.
    return " ".join(subject.split())[:200], body


def release_send_notices(*, release: Release) -> int:
    """Send each pending notice of `release` once; returns how many were sent.

    Each notice is claimed before its email goes out and marked sent after, so
    a crash between the two leaves it `sending`, never sent twice. A failure
    marks it `failed` (queuing again retries it).
    """
    recipients = {r.contact.pk: r for r in release_report(release, with_upgrades=False).contacts}
    pending = ReleaseNotice.objects.filter(release=release, status=ReleaseNotice.Status.PENDING)
    sent = 0
    for notice_id, contact_id in list(pending.values_list("pk", "contact_id")):
        if not _claim(notice_id):
            continue
        recipient = recipients.get(contact_id)
        done = ReleaseNotice.objects.filter(pk=notice_id)
        if recipient is None or not recipient.tickets:
            done.update(
                status=ReleaseNotice.Status.FAILED, error="No ticket of this contact is fixed in the release any more."
            )
            continue
        subject, body = notice_email(release, recipient)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.contact.email])
        except Exception as exc:  # the mail server's error must not stop the other notices
            logger.warning("Release notice %s to contact %s failed: %s", notice_id, contact_id, type(exc).__name__)
            done.update(status=ReleaseNotice.Status.FAILED, error=f"Sending failed: {type(exc).__name__}")
            continue
        done.update(status=ReleaseNotice.Status.SENT, sent_at=timezone.now())
        audit_record(
            obj=release, actor=None, channel=Channel.SYSTEM, action="customer_notified",
            new=f"{recipient.contact.name} ({', '.join(t.number for t in recipient.tickets)})",
        )
        sent += 1
    return sent
