"""The customer portal's records: contacts' accounts, their links, sessions and tokens,
the installations customers run, and what each ticket's customer was last told.

A portal account is not a Django user: it belongs to a `tickets.Contact`, has its
own password hash, its own sessions (cookie `handoff_portal`, never the staff
session) and its own API tokens. Nothing of the staff side (groups, is_staff,
the admin, the staff API) can ever name one.
"""

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models


class PortalAccount(models.Model):
    """A contact's way into the portal, made by an invitation."""

    contact = models.OneToOneField("tickets.Contact", on_delete=models.CASCADE, related_name="portal_account")
    # A Django password hash; empty until the contact sets one (a magic link still signs them in).
    password = models.CharField(max_length=128, blank=True)
    is_active = models.BooleanField(default=True)
    # Emails when the plain status of one of their tickets changes (one-click unsubscribe).
    notify_by_email = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True, help_text="When the contact first signed in.")
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contact_id"]

    def __str__(self) -> str:
        return f"Portal account of contact {self.contact_id}"

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class PortalLink(models.Model):
    """A link mailed to a contact: an invitation (set a password, 72 hours) or a sign-in link (15 minutes).

    The URL carries a signed token naming this row and a random nonce, of which only
    a hash is stored; it works once (`used_at`, set by a conditional UPDATE).
    """

    class Kind(models.TextChoices):
        INVITE = "invite", "Invitation"
        SIGN_IN = "sign_in", "Sign-in link"

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    nonce_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "kind"], name="portal_link_account_kind")]

    def __str__(self) -> str:
        return f"{self.kind} link {self.pk} for account {self.account_id}"


class PortalSession(models.Model):
    """A signed-in browser: the cookie holds a random key, the table only its SHA-256."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="portal_session_expiry")]

    def __str__(self) -> str:
        return f"Portal session {self.pk} of account {self.account_id}"


class PortalToken(models.Model):
    """A contact's API token for /api/portal/: `Authorization: Token <key>`, shown once, stored hashed."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Installation(models.Model):
    """A product a customer runs: which version, in which environment ("Production", "Staging")."""

    customer = models.ForeignKey("tickets.Customer", on_delete=models.CASCADE, related_name="installations")
    product = models.ForeignKey("tickets.Product", on_delete=models.PROTECT, related_name="installations")
    version = models.ForeignKey(
        "tickets.ProductVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="installations"
    )
    environment = models.CharField(max_length=100, default="Production")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id", "product_id", "environment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product", "environment"], name="installation_unique_environment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.version_id or '?'} ({self.environment})"


class TicketStatusSeen(models.Model):
    """The plain status a ticket's contact was last told (or would have been): one email per change.

    A ticket with no row is read as "We have your request", the status every ticket starts in.
    """

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    text = models.CharField(max_length=200)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.text}"
