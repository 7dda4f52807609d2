from django.conf import settings
from django.db import models

from releases.versions import version_sort_key


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

    def save(self, *args, **kwargs):
        self.version_key = version_sort_key(self.version)
        super().save(*args, **kwargs)
