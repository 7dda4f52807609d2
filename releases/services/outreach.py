"""Telling customers that a release fixes what they reported, once per contact.

The ledger (ReleaseNotice, unique per release and contact) makes it safe to
repeat: queuing adds rows only for contacts not yet in it, and a sender claims
a pending row in one UPDATE before sending, so no run sends a notice that
another run already claimed or sent. A notice a dead sender left `sending` is
settled by release_recover_notices, which tells "accepted by the mail server"
from "never accepted" by the `accepted_at` stored as soon as the server took it.
"""

import logging
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_record
from core.models import Channel
from core.tasks import queue
from releases.models import Release, ReleaseNotice
from releases.selectors import notice_progress
from releases.services.report import ReportContact, RequestContact, release_report

logger = logging.getLogger(__name__)


@transaction.atomic
def release_queue_notices(*, release: Release, actor, channel: str) -> dict[str, int]:
    """Queue a notice for every affected contact not yet told, and send them in the background.

    A contact hears once per kind: of the fixes of their tickets, and of the
    delivered enhancement requests their tickets asked for.

    A notice that failed earlier goes back to pending; sent ones are never
    queued again. The sending task starts after the transaction commits.
    Raises ValidationError while the release has not shipped.
    """
    release = Release.objects.select_for_update().get(pk=release.pk)
    if not release.is_released:
        raise ValidationError({"release": "Ship the release before telling customers about it."})
    report = release_report(release, with_upgrades=False)
    Kind = ReleaseNotice.Kind
    ReleaseNotice.objects.bulk_create(
        [ReleaseNotice(release=release, contact=c.contact, kind=Kind.FIX, queued_by=actor) for c in report.contacts]
        + [
            ReleaseNotice(release=release, contact=c.contact, kind=Kind.REQUEST, queued_by=actor)
            for c in report.request_contacts
        ],
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


def _claim(notice_id: int) -> str | None:
    """Claim a pending notice (pending -> sending); its Message-ID, or None when another run has it.

    The Message-ID is made on the first claim and kept by every later one, so a
    retry is the same message to a mail system that took an earlier attempt.
    """
    claimed = ReleaseNotice.objects.filter(pk=notice_id, status=ReleaseNotice.Status.PENDING).update(
        status=ReleaseNotice.Status.SENDING, claimed_at=timezone.now(),
        message_id=Case(When(message_id="", then=Value(make_msgid(domain=DNS_NAME))), default=F("message_id")),
    )
    if not claimed:
        return None
    return ReleaseNotice.objects.values_list("message_id", flat=True).get(pk=notice_id)


def _mark_sent(notice_id: int, *, at, recipient_name: str, release: Release, tickets: str) -> bool:
    """sending -> sent, audited once; False when recovery (or another run) settled it already."""
    with transaction.atomic():
        done = ReleaseNotice.objects.filter(pk=notice_id, status=ReleaseNotice.Status.SENDING).update(
            status=ReleaseNotice.Status.SENT, sent_at=at, error=""
        )
        if done:
            audit_record(
                obj=release, actor=None, channel=Channel.SYSTEM, action="customer_notified",
                new=f"{recipient_name} ({tickets})",
            )
    return bool(done)


def notice_email(release: Release, recipient: ReportContact) -> tuple[str, str]:
    """Subject and body telling one contact, in terms of their own tickets, where the fix is."""
    tickets = recipient.tickets
    first = tickets[0]
    more = f" and {len(tickets) - 1} more" if len(tickets) > 1 else ""
    subject = f"Fixed in {release.product} {release.version}: {first.number} {first.subject}{more}"
    body = render_to_string(
        "releases/email/fix_notice.txt",
        {"release": release, "contact": recipient.contact, "tickets": tickets, "upgrade": recipient.upgrade},
    )
    # Subjects come from customers' own words; a line break would be a header injection.
    return " ".join(subject.split())[:200], body


def feature_email(release: Release, recipient: RequestContact) -> tuple[str, str]:
    """Subject and body telling one contact that the feature their tickets asked for is in the release."""
    first = recipient.requests[0]
    more = f" and {len(recipient.requests) - 1} more" if len(recipient.requests) > 1 else ""
    subject = f"Now in {release.product} {release.version}: {first.title}{more}"
    body = render_to_string(
        "releases/email/feature_notice.txt",
        {"release": release, "contact": recipient.contact, "requests": recipient.requests,
         "tickets": recipient.tickets},
    )
    # Titles come from customers' own words; a line break would be a header injection.
    return " ".join(subject.split())[:200], body


def release_send_notices(*, release: Release) -> int:
    """Send each pending notice of `release` once; returns how many were sent.

    Each notice is claimed before its email goes out, with its Message-ID
    stored; the moment the mail server accepts the message is stored at once
    in its own short transaction (`accepted_at`), and then the notice is marked
    sent. A sender that dies in between leaves it `sending`, never sent twice:
    release_recover_notices settles it. A failure marks it `failed` (queuing
    again retries it, with the same Message-ID).
    """
    report = release_report(release, with_upgrades=False)
    recipients = {(ReleaseNotice.Kind.FIX, r.contact.pk): r for r in report.contacts}
    recipients.update({(ReleaseNotice.Kind.REQUEST, r.contact.pk): r for r in report.request_contacts})
    pending = ReleaseNotice.objects.filter(release=release, status=ReleaseNotice.Status.PENDING)
    sent = 0
    for notice_id, contact_id, kind in list(pending.values_list("pk", "contact_id", "kind")):
        message_id = _claim(notice_id)
        if message_id is None:
            continue
        recipient = recipients.get((kind, contact_id))
        done = ReleaseNotice.objects.filter(pk=notice_id)
        if recipient is None or not recipient.tickets:
            gone = "fixed in" if kind == ReleaseNotice.Kind.FIX else "asking for a feature delivered in"
            error = f"No ticket of this contact is {gone} the release any more."
            done.update(status=ReleaseNotice.Status.FAILED, error=error)
            continue
        subject, body = (
            notice_email(release, recipient) if kind == ReleaseNotice.Kind.FIX else feature_email(release, recipient)
        )
        email = EmailMessage(
            subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.contact.email],
            headers={"Message-ID": message_id},
        )
        try:
            email.send()
        except Exception as exc:  # the mail server's error must not stop the other notices
            logger.warning("Release notice %s to contact %s failed: %s", notice_id, contact_id, type(exc).__name__)
            done.update(status=ReleaseNotice.Status.FAILED, error=f"Sending failed: {type(exc).__name__}")
            continue
        # The server has answered 250 to the message: record that before anything else can fail.
        accepted_at = timezone.now()
        done.update(accepted_at=accepted_at)
        if _mark_sent(
            notice_id, at=accepted_at, recipient_name=recipient.contact.name, release=release,
            tickets=", ".join(t.number for t in recipient.tickets),
        ):
            sent += 1
    return sent


def release_recover_notices(*, now=None) -> dict[str, int]:
    """Settle notices left `sending` longer than HANDOFF_OUTREACH_SENDING_TIMEOUT by a sender that died.

    One the mail server accepted (`accepted_at` set) is marked sent; one it
    never accepted goes back to pending, keeping its Message-ID, and its
    release's sending task is queued. Returns {"sent": n, "retried": n}.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.HANDOFF_OUTREACH_SENDING_TIMEOUT)
    stale = ReleaseNotice.objects.filter(status=ReleaseNotice.Status.SENDING, claimed_at__lt=cutoff)
    accepted = list(stale.filter(accepted_at__isnull=False).select_related("release", "contact"))
    marked = 0
    for notice in accepted:
        marked += _mark_sent(
            notice.pk, at=notice.accepted_at, recipient_name=notice.contact.name, release=notice.release,
            tickets="recovered after the sender stopped",
        )
    unaccepted = stale.filter(accepted_at__isnull=True)
    release_ids = sorted(set(unaccepted.values_list("release_id", flat=True)))
    retried = unaccepted.filter(release_id__in=release_ids).update(
        status=ReleaseNotice.Status.PENDING, claimed_at=None,
        error="Sent again: the sender stopped before the mail server accepted it.",
    )
    for release_id in release_ids:
        queue("releases.send_release_notices", release_id)
    if marked or retried:
        logger.info("Release notices recovered: %s marked sent, %s to send again", marked, retried)
    return {"sent": marked, "retried": retried}
