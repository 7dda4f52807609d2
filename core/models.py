import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class Channel:
    """Where a change came from. Trackers use `tracker:<connection name>`."""

    WEB = "web"
    API = "api"
    SYSTEM = "system"

    @staticmethod
    def tracker(name: str) -> str:
        return f"tracker:{name}"[:40]


class AuditEntry(models.Model):
    """One row per changed field (or per event) on any audited object."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=40)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    field = models.CharField(max_length=60, blank=True)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"]),
            # "When did defects first move to this status": the manager charts.
            models.Index(fields=["content_type", "field", "new", "at"], name="audit_field_change"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        who = self.actor.get_username() if self.actor_id else self.channel
        what = f"{self.field}: {self.old!r} -> {self.new!r}" if self.field else self.action
        return f"{self.object_repr} {what} by {who}"


class Notification(models.Model):
    """One message for one user: shown in the in-app list, also emailed when they have an address."""

    class Kind(models.TextChoices):
        DEFECT_STATUS = "defect_status", "Defect status changed"
        PLANNED_RELEASE = "planned_release", "Planned release changed"
        NEEDS_INFO = "needs_info", "Engineering needs information"
        ROUTED = "routed", "Defect routed to my team"
        COMMENT = "comment", "New comment"
        SEVERITY = "severity", "Severity changed"
        RELEASED = "released", "Fix released"
        REQUEST_STATUS = "request_status", "Enhancement request status changed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>`: named, expiring, revocable.

    Only the SHA-256 of the key is stored, so a copy of the database yields no
    usable token; the key itself is shown once, when it is issued. `prefix`
    (the key's first characters) lets its owner tell tokens apart.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_owner")]

    def __str__(self) -> str:
        return f"API token {self.prefix}… ({self.name})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Installation(models.Model):
    """This deployment's identity towards trackers: one row, made on first use, never changed.

    The secret signs the marker the portal writes on the issues it creates, so
    a repeated create adopts only an issue this installation made: not one an
    outsider wrote the defect key into, nor one made by another installation
    syncing with the same tracker. `singleton` lets the database refuse a
    second row, so concurrent workers that both find none agree on one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    secret = models.CharField(max_length=128, editable=False)
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="installation_singleton")]

    def __str__(self) -> str:
        return f"Installation {self.id}"
