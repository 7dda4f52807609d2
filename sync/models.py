"""Tracker sync: connections, twins, the outbox, inbound deliveries, conflicts.

Models hold data and what the database can enforce; the rules live in
sync.services and sync.outbox.

What syncs is a defect or an enhancement request (its "subject"): the rows
about one name exactly one of the two, which a check constraint holds. A
request lives in an app above this one, so it is named by a foreign key by
string and its rules are reached through sync.hooks.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

# Exactly one of the two subject columns is set.
ONE_SUBJECT = Q(defect__isnull=False, request__isnull=True) | Q(defect__isnull=True, request__isnull=False)


class SubjectMixin:
    """What rows naming a defect or a request share: which one, and its key."""

    @property
    def subject(self):
        """The defect or the enhancement request this row is about."""
        return self.defect if self.defect_id else self.request

    @property
    def subject_kind(self) -> str:
        """Which one it is: "defect" or "request"."""
        return "defect" if self.defect_id else "request"

    @property
    def subject_key(self) -> str:
        subject = self.subject
        return subject.key if subject is not None else ""


class Connection(models.Model):
    """One external tracker project that defects of some teams (and requests of product teams) live in.

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
    request_type = models.CharField(
        max_length=100, blank=True,
        help_text="How enhancement requests are typed there: the Jira issue type (Story), the GitHub or "
        "GitLab label (enhancement), the Redmine tracker's name or id (Feature). Empty uses the default.",
    )
    request_status_map = models.JSONField(
        default=dict, blank=True,
        help_text="Request status -> tracker status name. Empty uses the kind's defaults.",
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


class ExternalIssue(SubjectMixin, models.Model):
    """The twin of a defect (or of an enhancement request) in a tracker: its id, key and URL.

    `synced` is the last state both sides agreed on (tracker names for status,
    priority and version); a tracker value that differs from it is a change made
    in the tracker, and a value equal to it is our own push coming back.
    """

    defect = models.ForeignKey(
        "defects.Defect", null=True, blank=True, on_delete=models.CASCADE, related_name="external_issues"
    )
    request = models.ForeignKey(
        "enhancements.EnhancementRequest", null=True, blank=True, on_delete=models.CASCADE,
        related_name="external_issues",
    )
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
            models.UniqueConstraint(fields=["connection", "request"], name="twin_one_per_request"),
            models.CheckConstraint(condition=ONE_SUBJECT, name="twin_one_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.connection})"


# An outbox row still to go out: waiting, or being pushed.
OPEN_ROW = Q(status__in=("pending", "claimed"))


class OutboxItem(SubjectMixin, models.Model):
    """One change that must reach a tracker, written in the same transaction as the change.

    Rows of one defect (or request) are pushed in id order: a row is claimed
    only when no earlier row of its subject is still pending or claimed.
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

    defect = models.ForeignKey(
        "defects.Defect", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_items"
    )
    request = models.ForeignKey(
        "enhancements.EnhancementRequest", null=True, blank=True, on_delete=models.CASCADE,
        related_name="outbox_items",
    )
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
            # Whether a row heads its queue (sync/services/push.py): an earlier open row of its
            # subject is one index probe by id, however many of the subject's rows are done.
            models.Index(fields=["defect", "connection", "id"], condition=OPEN_ROW, name="outbox_defect_queue"),
            models.Index(fields=["request", "connection", "id"], condition=OPEN_ROW, name="outbox_request_queue"),
            models.Index(fields=["status", "claimed_at"], name="outbox_stale"),
            # The waiting rows in the order they go out, however many are done (sync/services/push.py).
            models.Index(fields=["id"], condition=models.Q(status="pending"), name="outbox_pending_order"),
        ]
        constraints = [models.CheckConstraint(condition=ONE_SUBJECT, name="outbox_one_subject")]

    def __str__(self) -> str:
        subject = f"defect {self.defect_id}" if self.defect_id else f"request {self.request_id}"
        return f"#{self.pk} {self.kind} of {subject} ({self.status})"


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


class SyncConflict(SubjectMixin, models.Model):
    """A field changed on both sides between two syncs (or a tracker's change the portal refused),
    and which side won."""

    class Winner(models.TextChoices):
        PORTAL = "portal", "Portal"
        TRACKER = "tracker", "Tracker"

    defect = models.ForeignKey(
        "defects.Defect", null=True, blank=True, on_delete=models.CASCADE, related_name="sync_conflicts"
    )
    request = models.ForeignKey(
        "enhancements.EnhancementRequest", null=True, blank=True, on_delete=models.CASCADE,
        related_name="sync_conflicts",
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=40)
    portal_value = models.CharField(max_length=200, blank=True)
    tracker_value = models.CharField(max_length=200, blank=True)
    winner = models.CharField(max_length=8, choices=Winner.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["defect", "-at"], name="conflict_defect"),
            models.Index(fields=["request", "-at"], name="conflict_request"),
        ]
        constraints = [models.CheckConstraint(condition=ONE_SUBJECT, name="conflict_one_subject")]

    def __str__(self) -> str:
        return f"{self.field}: {self.winner} won"


class SyncLedger(models.Model):
    """Comments that crossed between portal and tracker, so none crosses twice.

    A tracker comment applied to the portal is recorded by its tracker id; a
    portal comment pushed to the tracker is recorded by its portal id. Both keep
    the pair (tracker id, portal id), so an edit or a deletion on either side
    reaches the same comment on the other; `body_sha256` is the tracker body last
    applied (inbound), by which a poll notices an edit. `thread` says whose
    comment `comment_id` is: a defect's or an enhancement request's (two tables).
    """

    class Thread(models.TextChoices):
        DEFECT = "defect", "Defect comment"
        REQUEST = "request", "Request comment"

    class Direction(models.TextChoices):
        INBOUND = "in", "Tracker to portal"
        OUTBOUND = "out", "Portal to tracker"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="ledger")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    external_id = models.CharField(max_length=100, blank=True)
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)
    thread = models.CharField(max_length=8, choices=Thread.choices, default=Thread.DEFECT)
    body_sha256 = models.CharField(max_length=64, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], condition=Q(direction="in"), name="ledger_unique_inbound"
            ),
            models.UniqueConstraint(
                fields=["connection", "thread", "comment_id"], condition=Q(direction="out"),
                name="ledger_unique_outbound",
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
