import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from defects.attachments import PREVIEW_TYPES
from defects.severity import Impact, Severity, Urgency


class Team(models.Model):
    """A team that owns products or components: engineering (defects) or product (requests)."""

    class Kind(models.TextChoices):
        ENGINEERING = "engineering", "Engineering"
        PRODUCT = "product", "Product management"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ENGINEERING)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    # The tracker this team's defects live in; routing a defect here makes it sync.
    connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Sends a new defect (or enhancement request) to a team. Lower priority numbers are tried first."""

    class Kind(models.TextChoices):
        DEFECT = "defect", "Defects, to engineering teams"
        REQUEST = "request", "Enhancement requests, to product teams"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DEFECT)
    priority = models.PositiveIntegerField(default=100)
    product = models.ForeignKey("tickets.Product", on_delete=models.CASCADE, related_name="routing_rules")
    component = models.ForeignKey(
        "tickets.Component", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    keyword = models.CharField(
        max_length=100, blank=True, help_text="Matches when the defect title contains it (any case)."
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routing_rules")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["product", "active", "priority"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["defect", "request"]), name="routing_rule_known_kind"),
        ]

    def __str__(self) -> str:
        parts = [f"#{self.priority}", self.product.name if self.product_id else "?"]
        if self.component_id:
            parts.append(f"/{self.component.name}")
        if self.keyword:
            parts.append(f'"{self.keyword}"')
        return " ".join(parts) + f" -> {self.team}"


class Defect(models.Model):
    """A problem escalated to engineering, shared by every ticket that reports it."""

    class Kind(models.TextChoices):
        DEFECT = "defect", "Defect"
        ENHANCEMENT = "enhancement", "Enhancement"

    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGE = "triage", "Triage"
        IN_PROGRESS = "in_progress", "In progress"
        NEEDS_INFO = "needs_info", "Needs information"
        IN_VERIFICATION = "in_verification", "In verification"
        FIXED = "fixed", "Fixed"
        RELEASED = "released", "Released"
        WONT_FIX = "wont_fix", "Won't fix"
        CANNOT_REPRODUCE = "cannot_reproduce", "Cannot reproduce"
        DUPLICATE = "duplicate", "Duplicate"
        # Turned into an enhancement request (enhancements.Conversion says which): final.
        CONVERTED = "converted", "Converted to a request"

    OPEN_STATUSES = (
        Status.NEW,
        Status.TRIAGE,
        Status.IN_PROGRESS,
        Status.NEEDS_INFO,
        Status.IN_VERIFICATION,
    )

    key = models.CharField(max_length=20, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DEFECT)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown")
    steps_to_reproduce = models.TextField(blank=True)
    expected_result = models.TextField(blank=True)
    actual_result = models.TextField(blank=True)
    product = models.ForeignKey("tickets.Product", on_delete=models.PROTECT, related_name="defects")
    component = models.ForeignKey(
        "tickets.Component", null=True, blank=True, on_delete=models.SET_NULL, related_name="defects"
    )
    affected_versions = models.ManyToManyField("tickets.ProductVersion", blank=True, related_name="defects")
    environment = models.TextField(blank=True)
    impact = models.CharField(max_length=20, choices=Impact.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    severity_reason = models.TextField(
        blank=True, help_text="Why the severity differs from the impact/urgency matrix."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="defects",
        help_text="Empty means the Unrouted queue.",
    )
    planned_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_defects"
    )
    fixed_in_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="fixed_defects"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # The why of the latest status move (shown to the help desk), and the state a
    # needs_info came from, so the agent's answer can return the defect there.
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    needs_info_from = models.CharField(max_length=20, choices=Status.choices, blank=True)
    # Kept by the link service from a database aggregate, so the queue can sort
    # by customer impact without counting per row.
    customer_count = models.PositiveIntegerField(default=0)
    ticket_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["severity", "-customer_count", "-ticket_count", "created_at"]
        indexes = [
            # One status in the triage order (the lists' status filter and sort); it also serves
            # what a (status, severity) index would.
            models.Index(
                fields=["status", "severity", "-customer_count", "-ticket_count", "created_at", "id"],
                name="defect_status_triage_order",
            ),
            models.Index(fields=["team", "status", "severity"], name="defect_team_status"),
            # The manager's dashboard: every open defect counted by team and severity.
            models.Index(fields=["status", "team", "severity"], name="defect_status_team"),
            models.Index(fields=["-created_at"], name="defect_recent"),
            # The triage order (Meta.ordering, then id), whole and per team: lists read
            # their first page off the index instead of sorting 50,000 defects.
            models.Index(
                fields=["severity", "-customer_count", "-ticket_count", "created_at", "id"],
                name="defect_triage_order",
            ),
            models.Index(
                fields=["team", "severity", "-customer_count", "-ticket_count", "created_at", "id"],
                name="defect_team_triage_order",
            ),
            # A product's defects in one status (the API's and the lists' filters), in the triage order;
            # it also serves what the (product, status) index served.
            models.Index(
                fields=["product", "status", "severity", "-customer_count", "-ticket_count", "created_at", "id"],
                name="defect_product_triage_order",
            ),
            # The lists' other sortable columns (defects.selectors.DEFECT_SORTS), each ending with the id.
            models.Index(fields=["title", "id"], name="defect_title_order"),
            models.Index(fields=["customer_count", "id"], name="defect_customers_order"),
            models.Index(fields=["ticket_count", "id"], name="defect_tickets_order"),
            models.Index(fields=["created_at", "id"], name="defect_created_order"),
            # The release list's open defects planned for each release, counted from the index alone.
            models.Index(fields=["planned_release", "status"], name="defect_planned_status"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketDefectLink(models.Model):
    """A ticket reports a defect. Many tickets may link to one defect."""

    # Neither key has an index of its own: the indexes below lead with each.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="defect_links", db_index=False
    )
    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="ticket_links", db_index=False)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "defect"], name="link_unique_pair"),
        ]
        indexes = [
            models.Index(fields=["defect", "linked_at"]),
            # A ticket's links newest first, with the defect (tickets.selectors.current_defect_id):
            # its current defect is read off the index alone.
            models.Index(fields=["ticket", "-linked_at", "-id"], include=["defect"], name="link_ticket_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.defect_id}"


def ticket_xor_defect(name: str) -> models.CheckConstraint:
    """A row that belongs to a ticket or to a defect, never both, never neither."""
    return models.CheckConstraint(
        condition=(Q(ticket__isnull=False) & Q(defect__isnull=True))
        | (Q(ticket__isnull=True) & Q(defect__isnull=False)),
        name=name,
    )


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is never the uploaded one: no path tricks, no collisions.
    return f"attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A screenshot or log on a ticket, a defect, or an enhancement request (one that was a defect)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    defect = models.ForeignKey(
        Defect, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    # Set when the defect it came with was converted into a request (enhancements.services.conversion).
    request = models.ForeignKey(
        "enhancements.EnhancementRequest", null=True, blank=True, on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sent by a customer's contact through the portal (the only files the portal shows),
    # with the reply it came with, if any.
    uploaded_by_contact = models.ForeignKey(
        "tickets.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept when that contact is deleted (uploaded_by_contact then empties): still a customer's file.
    from_customer = models.BooleanField(default=False)
    comment = models.ForeignKey(
        "Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(ticket__isnull=False) & Q(defect__isnull=True) & Q(request__isnull=True))
                | (Q(ticket__isnull=True) & Q(defect__isnull=False) & Q(request__isnull=True))
                | (Q(ticket__isnull=True) & Q(defect__isnull=True) & Q(request__isnull=False)),
                name="attachment_has_one_parent",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_previewable(self) -> bool:
        """An image whose type was checked at upload, which a page may show as a preview."""
        return self.content_type in PREVIEW_TYPES


class Comment(models.Model):
    """A message on a defect or on a ticket, in the thread both sides share.

    `shared` comments appear on the defect and on every linked ticket (a shared
    ticket comment reaches the ticket's defects); `internal` ones are only ever
    shown to their own side. `side` comes from the author's role.
    """

    class Visibility(models.TextChoices):
        SHARED = "shared", "Shared with the other side"
        INTERNAL = "internal", "Internal to my side"
        # On a ticket only: a reply to the customer, or the customer's own (author_contact).
        # Shown in the customer portal; like an internal note, never on the defect or in a tracker.
        CUSTOMER = "customer", "Reply to the customer"

    class Side(models.TextChoices):
        HELPDESK = "helpdesk", "Help desk"
        ENGINEERING = "engineering", "Engineering"

    defect = models.ForeignKey(
        Defect, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A customer's reply from the portal: written by one of the ticket's customer's contacts, not a user.
    author_contact = models.ForeignKey(
        "tickets.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept when that contact is deleted (author_contact then empties): still the customer's words.
    from_customer = models.BooleanField(default=False)
    body = models.TextField(help_text="Markdown")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.SHARED)
    side = models.CharField(max_length=12, choices=Side.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # Edited in place (in the portal or in a tracker); deleted ones stay in the thread,
    # shown as deleted, so their twins in trackers still have something to point at.
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_in = models.CharField(max_length=60, blank=True, help_text="Where it was deleted: Handoff or a tracker.")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [ticket_xor_defect("comment_has_one_parent")]
        indexes = [
            models.Index(fields=["defect", "created_at"], name="comment_defect_thread"),
            models.Index(fields=["ticket", "visibility", "created_at"], name="comment_ticket_thread"),
        ]

    def __str__(self) -> str:
        where = f"defect {self.defect_id}" if self.defect_id else f"ticket {self.ticket_id}"
        return f"Comment {self.pk} on {where}"

    @property
    def is_shared(self) -> bool:
        return self.visibility == self.Visibility.SHARED
