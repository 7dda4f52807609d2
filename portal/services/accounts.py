"""Portal accounts: invitations, sign-in links, passwords, sessions and API tokens.

- An agent or manager invites a contact whose customer uses the portal: the
  contact's account is made (once) and an email carries a link to set a
  password, valid 72 hours, usable once.
- A contact asks for a sign-in link by address: every active account with that
  address (a person may be a contact of two customers) gets one, valid 15
  minutes, usable once. Requests are counted per address and per client address;
  whether an address belongs to anyone is never said.
- A link is a signed token naming a PortalLink row and a random nonce, of which
  the row keeps only a hash; using it is one conditional UPDATE, so it works once.
- A session is a random key in the portal's own cookie (the table keeps its hash);
  an API token likewise, shown once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from portal import ratelimit
from portal.models import PortalAccount, PortalLink, PortalSession, PortalToken
from portal.selectors import digest
from portal.services import contact_channel
from portal.services.emails import email_later, portal_url
from portal.services.notify import status_baseline
from tickets.models import Contact

LINK_LIFETIME = {
    PortalLink.Kind.INVITE: timedelta(hours=72),
    PortalLink.Kind.SIGN_IN: timedelta(minutes=15),
}
SESSION_LIFETIME = timedelta(days=14)
# Sign-in links: per address, and per client address (one office asks for several people).
LINKS_PER_ADDRESS = (3, 15 * 60)
LINKS_PER_CLIENT = (20, 60 * 60)
# Password sign-ins that failed: per address, and per client address.
FAILURES_PER_ADDRESS = (10, 15 * 60)
FAILURES_PER_CLIENT = (50, 15 * 60)


def _salt(kind: str) -> str:
    return f"portal.link.{kind}"


def _issue_link(account: PortalAccount, kind: str) -> str:
    """A new link of `kind` for `account`; returns its signed token (only ever in the email)."""
    nonce = secrets.token_urlsafe(24)
    link = PortalLink.objects.create(
        account=account, kind=kind, nonce_hash=digest(nonce), expires_at=timezone.now() + LINK_LIFETIME[kind]
    )
    return signing.dumps({"l": link.pk, "n": nonce}, salt=_salt(kind), compress=True)


def _link_query(token: str, kind: str):
    """The unused, unexpired link row `token` names (a queryset of at most one), or None."""
    try:
        payload = signing.loads(token, salt=_salt(kind), max_age=LINK_LIFETIME[kind])
        link_id, nonce = int(payload["l"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return PortalLink.objects.filter(
        pk=link_id, kind=kind, nonce_hash=digest(nonce), used_at__isnull=True, expires_at__gt=timezone.now(),
        account__is_active=True, account__contact__customer__portal_enabled=True,
    )


def portal_link_valid(*, token: str, kind: str) -> bool:
    """Whether `token` still opens its link (the page that shows the link's one button asks)."""
    qs = _link_query(token, kind)
    return qs is not None and qs.exists()


def _use_link(token: str, kind: str) -> PortalAccount | None:
    qs = _link_query(token, kind)
    if qs is None:
        return None
    link = qs.select_related("account__contact").first()
    if link is None or not PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now()):
        return None  # unknown, used, expired, or used by a request that came first
    return link.account


@transaction.atomic
def portal_invite(*, contact: Contact, actor, channel: str) -> PortalAccount:
    """Invite `contact` to the portal: their account (made once) and an email with a link to set a password.

    Raises ValidationError when the contact's customer does not use the portal.
    Inviting again sends a new link; earlier ones still work until they expire.
    """
    contact = Contact.objects.select_related("customer").get(pk=contact.pk)
    if not contact.customer.portal_enabled:
        raise ValidationError(
            {"contact": f"{contact.customer.name} does not use the customer portal: a manager can turn it on."}
        )
    account, created = PortalAccount.objects.get_or_create(contact=contact)
    if created:
        # What the contact's tickets say now is what they were last told: changes from here on are emailed.
        status_baseline(contact_id=contact.pk)
    account.is_active = True
    account.invited_at = timezone.now()
    account.invited_by = actor if getattr(actor, "is_authenticated", False) else None
    account.save(update_fields=["is_active", "invited_at", "invited_by"])
    token = _issue_link(account, PortalLink.Kind.INVITE)
    audit_record(obj=contact, actor=actor, channel=channel, action="invited to the portal", new=contact.email)
    email_later(
        template="invite", address=contact.email,
        context={"contact": contact, "customer": contact.customer,
                 "url": portal_url(reverse("portal:welcome", args=[token]))},
    )
    return account


def portal_request_sign_in_link(*, email: str, client_ip: str | None) -> None:
    """Mail a sign-in link to every active account with this address whose customer uses the portal.

    Says nothing back: the same for an unknown address, a known one, and one past
    its limit (the request is then dropped).
    """
    address = (email or "").strip()
    if not address or len(address) > 254 or "@" not in address:
        return
    if not ratelimit.allow("link-address", address, limit=LINKS_PER_ADDRESS[0], window=LINKS_PER_ADDRESS[1]):
        return
    if client_ip and not ratelimit.allow(
        "link-client", client_ip, limit=LINKS_PER_CLIENT[0], window=LINKS_PER_CLIENT[1]
    ):
        return
    accounts = PortalAccount.objects.filter(
        contact__email__iexact=address, is_active=True, contact__customer__portal_enabled=True
    ).select_related("contact")
    with transaction.atomic():
        for account in accounts:
            token = _issue_link(account, PortalLink.Kind.SIGN_IN)
            audit_record(obj=account.contact, actor=None, channel=contact_channel(account.contact),
                         action="portal sign-in link sent")
            email_later(
                template="sign_in", address=account.contact.email,
                context={"contact": account.contact, "url": portal_url(reverse("portal:link", args=[token]))},
            )


def _start_session(account: PortalAccount, *, how: str) -> str:
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    PortalSession.objects.create(account=account, key_hash=digest(key), expires_at=now + SESSION_LIFETIME)
    fields = {"last_sign_in_at": now}
    if account.activated_at is None:
        fields["activated_at"] = now
    PortalAccount.objects.filter(pk=account.pk).update(**fields)
    # Sessions that ran out are dropped as new ones start: the table holds only live ones.
    PortalSession.objects.filter(account=account, expires_at__lte=now).delete()
    audit_record(obj=account.contact, actor=None, channel=contact_channel(account.contact),
                 action="signed in to the portal", new=how)
    return key


@transaction.atomic
def portal_sign_in_with_link(*, token: str) -> str | None:
    """Use a sign-in link (once): a new session's key, or None for a bad, used or expired link."""
    account = _use_link(token, PortalLink.Kind.SIGN_IN)
    return _start_session(account, how="sign-in link") if account else None


@transaction.atomic
def portal_accept_invitation(*, token: str, password: str) -> str | None:
    """Set the invited contact's password and sign them in: a session key, or None for a bad link.

    Raises ValidationError {"password"} for a password the validators refuse (the link stays unused).
    """
    qs = _link_query(token, PortalLink.Kind.INVITE)
    link = qs.select_related("account__contact").first() if qs is not None else None
    if link is None:
        return None
    _check_password(password, link.account)
    account = _use_link(token, PortalLink.Kind.INVITE)
    if account is None:
        return None
    _store_password(account, password)
    return _start_session(account, how="invitation")


def _check_password(password: str, account: PortalAccount) -> None:
    try:
        validate_password(password or "")
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _store_password(account: PortalAccount, password: str) -> None:
    account.set_password(password)
    account.save(update_fields=["password"])
    audit_record(obj=account.contact, actor=None, channel=contact_channel(account.contact),
                 action="portal password set")


@transaction.atomic
def portal_change_password(*, account: PortalAccount, password: str, keep_session_id: int | None) -> None:
    """Set a new password; every other session of the account ends. Raises ValidationError {"password"}."""
    _check_password(password, account)
    _store_password(account, password)
    PortalSession.objects.filter(account=account).exclude(pk=keep_session_id).delete()


def portal_sign_in_with_password(*, email: str, password: str, client_ip: str | None) -> str | None:
    """A session key for the right address and password, or None (wrong, unknown, or too many failures).

    Failures are counted per address and per client address; past either limit
    every attempt fails, the right password included, until the window ends.
    """
    address = (email or "").strip()
    if not address or not password or len(address) > 254 or len(password) > 4096:
        return None
    limits = [("password-address", address, *FAILURES_PER_ADDRESS)]
    if client_ip:
        limits.append(("password-client", client_ip, *FAILURES_PER_CLIENT))
    if any(ratelimit.exceeded(scope, value, limit=limit, window=window) for scope, value, limit, window in limits):
        return None
    accounts = list(PortalAccount.objects.filter(
        contact__email__iexact=address, is_active=True, contact__customer__portal_enabled=True
    ).select_related("contact").order_by("pk"))
    account = next((a for a in accounts if a.check_password(password)), None)
    if not accounts:
        make_password(password)  # as long as checking one: the time taken says nothing of the address
    if account is None:
        for scope, value, limit, window in limits:
            ratelimit.allow(scope, value, limit=limit, window=window)
        return None
    with transaction.atomic():
        return _start_session(account, how="password")


def portal_sign_out(*, session_id: int | None) -> None:
    if session_id is not None:
        PortalSession.objects.filter(pk=session_id).delete()


def portal_set_notifications(*, account: PortalAccount, on: bool) -> None:
    """Turn the status emails on or off (the unsubscribe link turns them off), audited."""
    if account.notify_by_email == on:
        return
    with transaction.atomic():
        PortalAccount.objects.filter(pk=account.pk).update(notify_by_email=on)
        audit_record(obj=account.contact, actor=None, channel=contact_channel(account.contact),
                     action="changed", field="portal emails", old=str(not on), new=str(on))
    account.notify_by_email = on


@transaction.atomic
def portal_token_issue(*, account: PortalAccount, name: str) -> tuple[PortalToken, str]:
    """A new API token for /api/portal/ and its key, which is never available again."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = PortalToken.objects.create(
        account=account, name=(name or "").strip()[:100] or "API token", key_hash=digest(key), prefix=key[:6],
        expires_at=now + timedelta(days=settings.HANDOFF_API_TOKEN_DAYS),
    )
    audit_record(obj=account.contact, actor=None, channel=contact_channel(account.contact),
                 action="portal token issued", new=token.name)
    return token, key


@transaction.atomic
def portal_token_revoke(*, account: PortalAccount, token_id: int) -> bool:
    """Revoke one of the account's tokens; False when it has no such token."""
    revoked = PortalToken.objects.filter(pk=token_id, account=account, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(obj=account.contact, actor=None, channel=contact_channel(account.contact),
                     action="portal token revoked", new=str(token_id))
    return bool(revoked)


def portal_token_touch(token: PortalToken) -> None:
    """Note when a token was last used, at most once a minute (a hint for its owner, not a log)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        PortalToken.objects.filter(pk=token.pk).update(last_used_at=now)
