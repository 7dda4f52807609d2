from django.conf import settings
from django.db import models

from core.versions import version_sort_key


class Customer(models.Model):
    """An organisation the help desk serves."""

    class Tier(models.TextChoices):
        STRATEGIC = "strategic", "Strategic"
        STANDARD = "standard", "Standard"
        TRIAL = "trial", "Trial"

    class PortalScope(models.TextChoices):
        OWN = "own", "Only the tickets they raised"
        ORGANISATION = "organisation", "All of the organisation's tickets"

    name = models.CharField(max_length=200, unique=True)
    # How much the customer's asks weigh in the enhancement-request queue.
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    # The customer portal (portal app): whether its contacts may sign in at all, and which tickets they see.
    portal_enabled = models.BooleanField(
        default=False, help_text="Its contacts may sign in to the customer portal (by invitation)."
    )
    portal_scope = models.CharField(
        max_length=12, choices=PortalScope.choices, default=PortalScope.OWN,
        help_text="Which tickets a contact sees in the portal.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["customer_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="contact_unique_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Product(models.Model):
    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. BILL")
    default_team = models.ForeignKey(
        "defects.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_products",
        help_text="Where a defect goes when no routing rule matches.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["product_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="component_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductVersion(models.Model):
    """A version of a product that customers run and report problems on."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    name = models.CharField(max_length=40)
    sort_key = models.CharField(max_length=200, editable=False)

    class Meta:
        ordering = ["product_id", "-sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="version_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.sort_key = version_sort_key(self.name)
        super().save(*args, **kwargs)


class Ticket(models.Model):
    """A customer's request to the help desk."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        AWAITING_ENGINEERING = "awaiting_engineering", "Awaiting engineering"
        # Sent to product management as an enhancement request (enhancements.services.tickets).
        AWAITING_PRODUCT = "awaiting_product", "Awaiting product management"
        AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    number = models.CharField(max_length=20, unique=True, editable=False)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="tickets")
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    version = models.ForeignKey(
        ProductVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    environment = models.TextField(blank=True, help_text="OS, browser, database, deployment")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW)
    # Set when a release shipped without the fix planned for it; cleared when
    # engineering sets a new plan or fixes the defect. The help desk must not
    # repeat the old estimate.
    planned_fix_slipped = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="ticket_recent"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_recent"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_recent"),
            # The customer portal's list of a customer's open tickets: counted off the index alone.
            models.Index(fields=["customer", "status"], name="ticket_customer_status"),
            models.Index(fields=["product", "-created_at"], name="ticket_product_recent"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            # The release report's newest version per customer (releases.services.report):
            # an index-only scan of one product's tickets, grouped by customer.
            models.Index(fields=["product", "customer", "version"], name="ticket_product_customer_ver"),
            # The ticket list (page and API) filtered by product and help-desk status:
            # the bounded count is an index-only scan, the page's ids come in order.
            models.Index(fields=["product", "status", "-created_at", "-id"], name="ticket_product_status_recent"),
            # The list's sortable columns (core/sorting.py): each order ends with the id and is read
            # off its index in either direction, so a sorted deep page costs what the default one does.
            models.Index(fields=["updated_at", "id"], name="ticket_updated_order"),
            models.Index(fields=["subject", "id"], name="ticket_subject_order"),
            models.Index(fields=["status", "id"], name="ticket_status_order"),
            # "My tickets": an agent's tickets, newest first.
            models.Index(fields=["assignee", "-created_at", "-id"], name="ticket_assignee_recent"),
            # The agent's dashboard: my open escalated tickets, most recently updated first.
            models.Index(fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_updated"),
            # "Waiting too long": open tickets not updated since their tier's limit.
            models.Index(fields=["status", "updated_at", "customer"], name="ticket_status_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.RESOLVED, self.Status.CLOSED}

    # Lists prefetch a page's defect links into this attribute (Prefetch to_attr):
    # cheaper than a related manager per row, 50 rows a page.
    LINKS_ATTR = "listed_links"

    def linked(self) -> list:
        """The ticket's defect links: a list's LINKS_ATTR prefetch, else defect_links (prefetched or not)."""
        links = self.__dict__.get(self.LINKS_ATTR)
        return links if links is not None else list(self.defect_links.all())

    @property
    def current_link(self):
        """The most recent link to a defect. Reads the prefetched links when present."""
        links = self.linked()
        if not links:
            return None
        return max(links, key=lambda link: (link.linked_at, link.pk))

    @property
    def current_defect(self):
        link = self.current_link
        return link.defect if link else None
