"""Telling a contact, by email, that what they read of their ticket changed: once per change.

The lower apps send hooks when a ticket's status, its defect or its enhancement
request moves (tickets.hooks, defects.hooks, enhancements.hooks). Each receiver
here only notes which tickets to look at again, after the commit; the task then
computes each ticket's plain status (portal.status, the same sentence the
portal shows) and compares it with the one its contact was last told
(TicketStatusSeen). Only a different sentence is mailed, and the row is moved
on by a conditional UPDATE first, so a change reported by three hooks, or
looked at by two workers, is one email. Internal events that leave the sentence
as it was (a severity, an internal note, a defect from new to triage) send nothing.

Mail goes to the ticket's contact when they have an active portal account,
their customer uses the portal, and they have not unsubscribed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from core.tasks import queue
from defects.models import Defect, TicketDefectLink
from enhancements.models import EnhancementRequest, TicketRequestLink
from portal.models import PortalAccount, TicketStatusSeen
from portal.selectors import plain_statuses_of
from portal.services.emails import email_later, portal_url
from portal.status import RECEIVED
from tickets.models import Ticket

UNSUBSCRIBE_SALT = "portal.unsubscribe"
# The audit channel of what contacts do in the portal (portal.services.contact_channel).
PORTAL_CHANNEL = "portal:"
# Fields of a defect whose change can change what its customers read.
PLAIN_FIELDS = {"planned_release", "fixed_in_release", "status"}


def _later(ticket_ids: Iterable[int], *, quiet: bool = False) -> None:
    ids = sorted(set(ticket_ids))
    if ids:
        transaction.on_commit(lambda: queue("portal.notify_status", ids, quiet))


def _tickets_of_defect(defect: Defect) -> QuerySet:
    return TicketDefectLink.objects.filter(defect=defect).values_list("ticket_id", flat=True)


# Receivers, connected in PortalConfig.ready().

def portal_on_ticket_status_changed(*, ticket: Ticket, old: str, new: str, actor, channel: str) -> None:
    # A change the contact made themselves (their reply reopened the ticket) is noted, not mailed to them.
    _later([ticket.pk], quiet=channel.startswith(PORTAL_CHANNEL))


def portal_on_defect_transitioned(
    *, defect: Defect, actor, channel: str, reason: str, duplicate_of: Defect | None,
    moved_ticket_ids: frozenset[int],
) -> None:
    _later([*_tickets_of_defect(defect), *moved_ticket_ids])


def portal_on_defect_edited(*, defect: Defect, changes: dict, actor, channel: str) -> None:
    if PLAIN_FIELDS & set(changes):
        _later(_tickets_of_defect(defect))


def portal_on_request_changed(*, request: EnhancementRequest, actor, channel: str) -> None:
    _later(TicketRequestLink.objects.filter(request=request).values_list("ticket_id", flat=True))


# The work, after the commit.

def _told_contacts(ticket_ids: list[int]) -> QuerySet[Ticket]:
    """The tickets among `ticket_ids` whose contact hears of changes by email."""
    return Ticket.objects.filter(
        pk__in=ticket_ids, contact__portal_account__is_active=True,
        contact__portal_account__notify_by_email=True, customer__portal_enabled=True,
    )


def portal_notify_status(*, ticket_ids: Iterable[int], quiet: bool = False) -> int:
    """Mail each ticket's contact whose plain status changed since they were last told. Returns how many.

    Safe to run twice, or at once in two workers: a change is claimed by one
    conditional UPDATE before its email is queued. `quiet` notes the new status
    without mailing it (the contact caused it).
    """
    tickets = list(
        _told_contacts(list(ticket_ids)).select_related("contact__portal_account").only(
            "number", "subject", "contact__name", "contact__email", "contact__portal_account__id",
        )
    )
    if not tickets:
        return 0
    statuses = plain_statuses_of([t.pk for t in tickets])
    seen = dict(TicketStatusSeen.objects.filter(ticket__in=tickets).values_list("ticket_id", "text"))
    sent = 0
    for ticket in tickets:
        now, before = statuses[ticket.pk].text, seen.get(ticket.pk)
        if now == (before if before is not None else RECEIVED.text):
            continue
        with transaction.atomic():
            if before is None:
                _, claimed = TicketStatusSeen.objects.get_or_create(ticket_id=ticket.pk, defaults={"text": now})
            else:
                claimed = TicketStatusSeen.objects.filter(ticket_id=ticket.pk, text=before).update(text=now)
            if claimed and not quiet:
                _email_status(ticket, now)
                sent += 1
    return sent


def status_baseline(*, contact_id: int) -> None:
    """Note what each of the contact's tickets says now, without mailing: changes from here on are mailed.

    Called when a contact gets a portal account, so a ticket from before the
    portal is not reported as changed the first time anything happens to it.
    """
    ids = list(Ticket.objects.filter(contact_id=contact_id).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        statuses = plain_statuses_of(ids[start:start + 500])
        TicketStatusSeen.objects.bulk_create(
            [TicketStatusSeen(ticket_id=pk, text=status.text) for pk, status in statuses.items()],
            ignore_conflicts=True,
        )


def unsubscribe_token(account_id: int) -> str:
    return signing.dumps(account_id, salt=UNSUBSCRIBE_SALT)


def account_for_unsubscribe(token: str) -> PortalAccount | None:
    """The account a one-click unsubscribe link names (it does not expire), or None for a bad link."""
    try:
        account_id = int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return PortalAccount.objects.select_related("contact").filter(pk=account_id).first()


def _email_status(ticket: Ticket, text: str) -> None:
    unsubscribe = portal_url(reverse("portal:unsubscribe", args=[unsubscribe_token(ticket.contact.portal_account.pk)]))
    email_later(
        template="status", address=ticket.contact.email,
        context={
            "contact": ticket.contact, "ticket": ticket, "status": text, "unsubscribe": unsubscribe,
            "url": portal_url(reverse("portal:ticket", args=[ticket.pk])),
        },
        # One click in the mail client unsubscribes (RFC 8058), with no page to open.
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
