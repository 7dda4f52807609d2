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
    """One message for one user: shown in the in-app list, also emailed when they have an address.

    `subject` names what the message is about (the page it links to: a ticket, a
    defect, a request), so the list shows one entry per subject with its latest
    change and a count. `team_wide` marks a message sent to a whole team (a defect
    routed to it, a comment on one of its defects) rather than to the user for
    their own work. `emailed_at` is set once the message went out by email, alone
    or in a digest (core.digests), so a digest never repeats one.
    """

    class Kind(models.TextChoices):
        DEFECT_STATUS = "defect_status", "Defect status changed"
        PLANNED_RELEASE = "planned_release", "Planned release changed"
        NEEDS_INFO = "needs_info", "Engineering needs information"
        ROUTED = "routed", "Defect routed to my team"
        COMMENT = "comment", "New comment"
        SEVERITY = "severity", "Severity changed"
        RELEASED = "released", "Fix released"
        REQUEST_STATUS = "request_status", "Enhancement request status changed"
        MENTION = "mention", "Mentioned in a comment"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    team_wide = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A user's unread messages, newest first (the count, the dashboard, "Unread"). Partial:
            # IS NULL on a column of the index would not give PostgreSQL the order by time.
            models.Index(
                fields=["user", "-created_at"], condition=models.Q(read_at__isnull=True), name="notification_unread",
            ),
            # A user's newest messages: the API's list and the window the list groups.
            models.Index(fields=["user", "-created_at", "-id"], name="notification_newest"),
            # Questions from engineering: the dashboard pins the unread ones on every view.
            models.Index(
                fields=["user", "-created_at"], condition=models.Q(kind="needs_info"), name="notification_needs_info",
            ),
            # The list groups a user's messages by subject; a group is read or marked read by it.
            models.Index(fields=["user", "subject"], name="notification_subject"),
            # A digest reads the messages of one user not emailed yet.
            models.Index(fields=["user", "emailed_at"], name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SavedView(models.Model):
    """A named filter and sort of one of the work lists, kept by a user or shared by a manager.

    `query` is the list's query string, normalised by core.saved_views (no page
    number, no empty values, keys in order), so the list page can tell which view
    it is showing. A shared view is offered to everyone who opens that list.
    """

    class List(models.TextChoices):
        TICKETS = "tickets", "Tickets"
        DEFECTS = "defects", "Defects"
        QUEUE = "queue", "Triage queue"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    list = models.CharField(max_length=10, choices=List.choices)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-shared", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list", "name"], condition=models.Q(shared=False), name="saved_view_unique_personal"
            ),
            models.UniqueConstraint(
                fields=["list", "name"], condition=models.Q(shared=True), name="saved_view_unique_shared"
            ),
        ]
        indexes = [
            # A list page reads its user's views and the shared ones of that list.
            models.Index(fields=["list", "owner"], name="saved_view_owner"),
            models.Index(fields=["list", "shared"], name="saved_view_shared"),
        ]

    def __str__(self) -> str:
        return f"{self.get_list_display()} view “{self.name}”"


class Preference(models.Model):
    """What a user chose for themselves: how notification emails come, and their time zone.

    No row means the defaults: an email per notification, and the portal's
    TIME_ZONE. `digest_from` is when the current digest period began (the last
    digest sent, or the moment the user chose a digest), so a digest holds only
    what arrived since.
    """

    class Digest(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately: one email per notification"
        HOURLY = "hourly", "Hourly: one email with what happened in the hour"
        DAILY = "daily", "Daily: one email with what happened in the day"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preference"
    )
    digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.IMMEDIATE)
    time_zone = models.CharField(max_length=64, blank=True)
    digest_from = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["digest", "digest_from"], name="preference_digest_due")]

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


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
