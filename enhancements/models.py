"""Enhancement requests: asks for a new capability, triaged by product management."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class EnhancementRequest(models.Model):
    """A capability customers ask for, shared by every ticket that asks for it (key ENH-n)."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        UNDER_REVIEW = "under_review", "Under review"
        PLANNED = "planned", "Planned"
        IN_DEVELOPMENT = "in_development", "In development"
        DELIVERED = "delivered", "Delivered"
        DECLINED = "declined", "Declined"
        DUPLICATE = "duplicate", "Duplicate"
        CONVERTED = "converted", "Converted to a defect"

    OPEN_STATUSES = (Status.NEW, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_DEVELOPMENT)

    key = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    problem = models.TextField(help_text="The customer's problem or goal, in their words.")
    workaround = models.TextField(blank=True, help_text="What the customer does today instead.")
    product = models.ForeignKey("tickets.Product", on_delete=models.PROTECT, related_name="enhancement_requests")
    component = models.ForeignKey(
        "tickets.Component", null=True, blank=True, on_delete=models.SET_NULL, related_name="enhancement_requests"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(
        "defects.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="enhancement_requests",
        help_text="The product team; empty means no rule matched.",
    )
    target_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_requests",
        help_text="An estimate, not a promise.",
    )
    delivered_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="delivered_requests"
    )
    decline_reason = models.TextField(blank=True, help_text="Written for the help desk, shown to it as such.")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Kept by the link service from one aggregate, so the queue sorts by demand off an index.
    customer_count = models.PositiveIntegerField(default=0)
    ticket_count = models.PositiveIntegerField(default=0)
    demand = models.PositiveIntegerField(default=0, help_text="Sum over customers of importance x tier weight.")
    # How many customers asked at each importance (each at the highest it said), for the queue's reasons.
    importance_counts = models.JSONField(default=dict, blank=True)
    last_asked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-demand", "-last_asked_at", "id"]
        indexes = [
            # The queue's order, whole and per product and status (its filters).
            models.Index(fields=["-demand", "-last_asked_at", "id"], name="enh_demand_order"),
            models.Index(fields=["status", "-demand", "-last_asked_at", "id"], name="enh_status_demand"),
            models.Index(
                fields=["product", "status", "-demand", "-last_asked_at", "id"], name="enh_product_status_demand"
            ),
            models.Index(fields=["component", "status"], name="enh_component_status"),
            models.Index(fields=["delivered_release"], name="enh_delivered_release"),
            # The agent's board: requests whose status moved lately, newest first.
            models.Index(fields=["-status_changed_at"], name="enh_status_changed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="planned") | Q(target_release__isnull=False), name="enh_planned_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_release__isnull=False),
                name="enh_delivered_has_release",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def help_desk_note(self) -> str:
        """The status as the help desk tells it to a customer."""
        if self.status == self.Status.PLANNED and self.target_release_id:
            return f"Planned for {self.target_release.version} (estimate, not a promise)"
        if self.status == self.Status.DELIVERED and self.delivered_release_id:
            return f"Delivered in {self.delivered_release.version}"
        if self.status == self.Status.DECLINED:
            return f"Declined: {self.decline_reason}"
        if self.status == self.Status.DUPLICATE and self.duplicate_of_id:
            return f"Duplicate of {self.duplicate_of.key}"
        if self.status == self.Status.CONVERTED:
            return "Converted to a defect"
        return self.get_status_display()


class TicketRequestLink(models.Model):
    """A ticket asks for a request; how much it matters to that ticket's customer."""

    class Importance(models.TextChoices):
        BLOCKS_DEAL = "blocks_deal", "Blocks a purchase or renewal"
        IMPORTANT = "important", "Important"
        NICE_TO_HAVE = "nice_to_have", "Nice to have"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="request_links")
    request = models.ForeignKey(EnhancementRequest, on_delete=models.CASCADE, related_name="ticket_links")
    # The ticket's customer, copied so demand is counted per customer without joining tickets.
    customer = models.ForeignKey("tickets.Customer", on_delete=models.PROTECT, related_name="request_links")
    importance = models.CharField(max_length=12, choices=Importance.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "request"], name="request_link_unique_pair"),
        ]
        indexes = [
            models.Index(fields=["request", "customer"], name="request_link_customer"),
            models.Index(fields=["request", "linked_at"], name="request_link_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.request_id}"


class RequestDemand(models.Model):
    """One customer's ask of a request: its links grouped, kept as the links change.

    The queue and the report show each request's weightiest customers; a widely
    wanted request has thousands of links, so grouping them on every view cost
    more than the page. `position` is the customer's rank within the request
    (1 = weightiest: score, then name), so the first few are an index range.
    """

    # Found by request through the two indexes below, which both start with it.
    request = models.ForeignKey(
        EnhancementRequest, on_delete=models.CASCADE, related_name="demand_rows", db_index=False
    )
    customer = models.ForeignKey("tickets.Customer", on_delete=models.CASCADE, related_name="+")
    importance = models.CharField(max_length=12, choices=TicketRequestLink.Importance.choices)
    tickets = models.PositiveIntegerField()
    score = models.PositiveIntegerField(help_text="Highest importance x tier weight.")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "customer"], name="request_demand_unique_pair"),
        ]
        indexes = [models.Index(fields=["request", "position"], name="request_demand_rank")]

    def __str__(self) -> str:
        return f"{self.request_id} <- {self.customer_id} ({self.score})"


class RequestComment(models.Model):
    """A message on a request, between the help desk and product management."""

    request = models.ForeignKey(EnhancementRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="Markdown")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="request_comment_thread")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on request {self.request_id}"


class Conversion(models.Model):
    """A defect turned into a request, or a request into a defect: the old key's page leads to the new one.

    The old record stays (closed as `converted`, with its audit rows); its
    ticket links, shared comments, attachments and a copy of its history move
    to the new one. A record is converted away at most once (converted is final).
    """

    class Direction(models.TextChoices):
        TO_REQUEST = "to_request", "Defect to request"
        TO_DEFECT = "to_defect", "Request to defect"

    direction = models.CharField(max_length=10, choices=Direction.choices)
    defect = models.ForeignKey("defects.Defect", on_delete=models.CASCADE, related_name="conversions")
    request = models.ForeignKey(EnhancementRequest, on_delete=models.CASCADE, related_name="conversions")
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["defect"], condition=Q(direction="to_request"), name="conversion_defect_once"
            ),
            models.UniqueConstraint(
                fields=["request"], condition=Q(direction="to_defect"), name="conversion_request_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: defect {self.defect_id}, request {self.request_id}"
