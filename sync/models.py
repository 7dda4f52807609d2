"""Tracker sync: connections, twins, the outbox, inbound deliveries, conflicts.

Models hold data and what the database can enforce; the rules live in
sync.services and sync.outbox.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Connection(models.Model):
    """One external tracker project that defects of some teams live in.

    `token` is write-only: it is stored to call the tracker and never shown,
    returned by the API or logged. `paused` is set by the engine when the
    tracker refuses us for good (401/403/404); `enabled` is the manager's switch.
    """

    class Kind(models.TextChoices):
        REDMINE = "redmine", "Redmine"
        JIRA = "jira", "Jira"
        GITHUB = "github", "GitHub"
        GITLAB = "gitlab", "GitLab"

    name = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REDMINE)
    base_url = models.URLField(max_length=300)
    token = models.CharField(max_length=300, help_text="API token. Write-only: never shown again.")
    project = models.CharField(max_length=100, help_text="Tracker project identifier or key.")
    status_map = models.JSONField(
        default=dict, blank=True,
        help_text="Portal engineering status -> tracker status name. Empty uses the kind's defaults.",
    )
    priority_map = models.JSONField(
        default=dict, blank=True, help_text="Severity (S1-S4) -> tracker priority name."
    )
    version_map = models.JSONField(
        default=dict, blank=True,
        help_text="Portal release version -> tracker version name. Unlisted versions keep their name.",
    )
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Shared secret for signed webhooks. Write-only."
    )
    enabled = models.BooleanField(default=True)
    paused = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    # Where the next poll starts, in the tracker's own terms (for Redmine an ISO timestamp).
    poll_cursor = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.enabled and not self.paused


class ExternalIssue(models.Model):
    """The twin of a defect in a tracker: its id, key and URL.

    `synced` is the last state both sides agreed on (tracker names for status,
    priority and version); a tracker value that differs from it is a change made
    in the tracker, and a value equal to it is our own push coming back.
    """

    defect = models.ForeignKey("defects.Defect", on_delete=models.CASCADE, related_name="external_issues")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="issues")
    external_id = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    synced = models.JSONField(default=dict, blank=True)
    # The tracker's "updated" time of the newest issue state applied here; an
    # inbound event no newer than it is stale (or replayed) and its fields are not applied.
    tracker_updated_at = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["connection__name"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="twin_unique_external"),
            models.UniqueConstraint(fields=["connection", "defect"], name="twin_one_per_defect"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.connection})"


class OutboxItem(models.Model):
    """One change that must reach a tracker, written in the same transaction as the change.

    Rows of one defect are pushed in id order: a row is claimed only when no
    earlier row of its defect is still pending or claimed.
    """

    class Kind(models.TextChoices):
        CREATE = "create", "Create"
        FIELDS = "fields", "Title and description"
        SEVERITY = "severity", "Severity"
        STATUS = "status", "Status"
        RELEASE = "release", "Planned or fixed-in release"
        COMMENT = "comment", "Shared comment"
        COMMENT_EDIT = "comment_edit", "Edited comment"
        COMMENT_DELETE = "comment_delete", "Deleted comment"
        ATTACHMENT = "attachment", "Attachment"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Being pushed"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    defect = models.ForeignKey("defects.Defect", on_delete=models.CASCADE, related_name="outbox_items")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outbox_items")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["connection", "status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["defect", "connection", "status"], name="outbox_defect_head"),
            models.Index(fields=["status", "claimed_at"], name="outbox_stale"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} of defect {self.defect_id} ({self.status})"


class InboundEvent(models.Model):
    """A webhook delivery, stored once per delivery id and processed by a task.

    A body already received for the connection within the tracker's redelivery
    window is not stored again, whatever its delivery id (see webhook_receive).
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        DONE = "done", "Applied"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="inbound_events")
    delivery_id = models.CharField(max_length=200)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    # SHA-256 of the raw body: a captured body sent again under a new delivery id is known by it.
    body_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "delivery_id"], name="inbound_unique_delivery"),
        ]
        indexes = [
            models.Index(fields=["connection", "status"], name="inbound_status"),
            models.Index(fields=["connection", "body_sha256", "received_at"], name="inbound_body_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.connection} delivery {self.delivery_id} ({self.status})"


class SyncConflict(models.Model):
    """A field changed on both sides between two syncs, and which side won."""

    class Winner(models.TextChoices):
        PORTAL = "portal", "Portal"
        TRACKER = "tracker", "Tracker"

    defect = models.ForeignKey("defects.Defect", on_delete=models.CASCADE, related_name="sync_conflicts")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=40)
    portal_value = models.CharField(max_length=200, blank=True)
    tracker_value = models.CharField(max_length=200, blank=True)
    winner = models.CharField(max_length=8, choices=Winner.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["defect", "-at"], name="conflict_defect")]

    def __str__(self) -> str:
        return f"{self.field}: {self.winner} won"


class SyncLedger(models.Model):
    """Comments that crossed between portal and tracker, so none crosses twice.

    A tracker comment applied to the portal is recorded by its tracker id; a
    portal comment pushed to the tracker is recorded by its portal id. Both keep
    the pair (tracker id, portal id), so an edit or a deletion on either side
    reaches the same comment on the other; `body_sha256` is the tracker body last
    applied (inbound), by which a poll notices an edit.
    """

    class Direction(models.TextChoices):
        INBOUND = "in", "Tracker to portal"
        OUTBOUND = "out", "Portal to tracker"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="ledger")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    external_id = models.CharField(max_length=100, blank=True)
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], condition=Q(direction="in"), name="ledger_unique_inbound"
            ),
            models.UniqueConstraint(
                fields=["connection", "comment_id"], condition=Q(direction="out"), name="ledger_unique_outbound"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.external_id or self.comment_id}"


class FieldSource(models.Model):
    """Where the current value of one synced field of a linked pair came from.

    One row per twin and field, overwritten each time the field crosses: the
    value (in the tracker's terms), which side set it, who, when, and through
    what (web, api or system for a portal change; webhook with its delivery id,
    poll or link for a tracker change).
    """

    class Side(models.TextChoices):
        PORTAL = "portal", "Portal"
        TRACKER = "tracker", "Tracker"

    twin = models.ForeignKey(ExternalIssue, on_delete=models.CASCADE, related_name="field_sources")
    field = models.CharField(max_length=20)
    value = models.CharField(max_length=300, blank=True)
    side = models.CharField(max_length=8, choices=Side.choices)
    actor = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=40)
    delivery_id = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["twin_id", "field"]
        constraints = [models.UniqueConstraint(fields=["twin", "field"], name="field_source_unique")]

    def __str__(self) -> str:
        return f"{self.field} from {self.side} ({self.channel})"
