from django.conf import settings
from django.db import models

from core.dates import format_day
from core.versions import version_sort_key


class Release(models.Model):
    """A version of a product, planned or shipped."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RELEASED = "released", "Released"

    product = models.ForeignKey("tickets.Product", on_delete=models.PROTECT, related_name="releases")
    version = models.CharField(max_length=40)
    version_key = models.CharField(max_length=200, editable=False)
    planned_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    released_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["product_id", "-version_key"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="release_unique_version"),
            models.CheckConstraint(
                condition=models.Q(status="planned") | models.Q(released_at__isnull=False),
                name="release_released_has_date",
            ),
        ]
        indexes = [models.Index(fields=["product", "status", "version_key"])]

    def __str__(self) -> str:
        return self.version

    @property
    def is_released(self) -> bool:
        return self.status == self.Status.RELEASED

    @property
    def fix_label(self) -> str:
        """How the help desk reads a fix: "fixed in 2.4.1, released 26 Nov 2026"."""
        if self.is_released and self.released_at:
            return f"fixed in {self.version}, released {format_day(self.released_at)}"
        return f"fixed in {self.version}, not released yet"

    def save(self, *args, **kwargs):
        self.version_key = version_sort_key(self.version)
        super().save(*args, **kwargs)


class ReleaseNotice(models.Model):
    """The outreach ledger: one row per release, contact and kind, so each contact hears once of each.

    `fix`: the release fixes what the contact's tickets reported; `request`: it
    delivers an enhancement request the contact's tickets asked for. A contact
    with both gets one email of each kind, never either twice.

    A sender claims a pending row (pending -> sending) in one UPDATE before it
    sends, so two runs can never both send it; only a failed send goes back to
    pending on the next run. A row left `sending` by a sender that died is
    settled by recovery after HANDOFF_OUTREACH_SENDING_TIMEOUT: sent when
    `accepted_at` shows the mail server took it, pending again otherwise.
    """

    class Kind(models.TextChoices):
        FIX = "fix", "A fix they reported"
        REQUEST = "request", "A feature they asked for"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="notices")
    contact = models.ForeignKey("tickets.Contact", on_delete=models.CASCADE, related_name="release_notices")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FIX)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set before the first attempt and kept for every retry, so a mail system
    # that did take an earlier attempt can tell the retry is the same message.
    message_id = models.CharField(max_length=250, blank=True)
    # When the mail server accepted the message (answered the end of DATA), stored
    # at once on its own: a sender that dies before marking the notice sent leaves
    # this behind, and recovery marks the notice sent instead of sending it again.
    accepted_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["release_id", "contact_id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "contact", "kind"], name="notice_unique_contact_kind"),
        ]
        indexes = [
            models.Index(fields=["release", "status"], name="notice_release_status"),
            models.Index(fields=["status", "claimed_at"], name="notice_stale_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.release} -> {self.contact_id} ({self.kind}, {self.status})"


# Code traceability (repositories, commits, tags, builds) lives in its own module.
from releases.code.models import (  # noqa: E402,F401
    Build,
    CodeDelivery,
    Commit,
    CommitLink,
    FixRelease,
    Repository,
    Tag,
)
