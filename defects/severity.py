"""Severity grounded in customer impact: computed from impact and urgency."""

from django.db import models


class Impact(models.TextChoices):
    SINGLE_USER = "single_user", "A single user"
    MULTIPLE_USERS = "multiple_users", "Several users of one customer"
    ENTIRE_CUSTOMER = "entire_customer", "A whole customer"
    MULTIPLE_CUSTOMERS = "multiple_customers", "Several customers"


class Urgency(models.TextChoices):
    WORKAROUND = "workaround", "A workaround exists"
    DEGRADED = "degraded", "Work is degraded"
    BLOCKED = "blocked", "Work is blocked"


class Severity(models.TextChoices):
    S1 = "S1", "S1 - critical"
    S2 = "S2", "S2 - major"
    S3 = "S3", "S3 - moderate"
    S4 = "S4", "S4 - minor"


MATRIX: dict[tuple[str, str], str] = {
    (Impact.SINGLE_USER, Urgency.WORKAROUND): Severity.S4,
    (Impact.SINGLE_USER, Urgency.DEGRADED): Severity.S3,
    (Impact.SINGLE_USER, Urgency.BLOCKED): Severity.S3,
    (Impact.MULTIPLE_USERS, Urgency.WORKAROUND): Severity.S4,
    (Impact.MULTIPLE_USERS, Urgency.DEGRADED): Severity.S3,
    (Impact.MULTIPLE_USERS, Urgency.BLOCKED): Severity.S2,
    (Impact.ENTIRE_CUSTOMER, Urgency.WORKAROUND): Severity.S3,
    (Impact.ENTIRE_CUSTOMER, Urgency.DEGRADED): Severity.S2,
    (Impact.ENTIRE_CUSTOMER, Urgency.BLOCKED): Severity.S2,
    (Impact.MULTIPLE_CUSTOMERS, Urgency.WORKAROUND): Severity.S3,
    (Impact.MULTIPLE_CUSTOMERS, Urgency.DEGRADED): Severity.S2,
    (Impact.MULTIPLE_CUSTOMERS, Urgency.BLOCKED): Severity.S1,
}


def compute_severity(impact: str, urgency: str) -> str:
    """The matrix severity. Raises ValueError for an unknown impact or urgency."""
    try:
        return str(MATRIX[(Impact(impact), Urgency(urgency))])
    except ValueError:
        raise ValueError(f"unknown impact {impact!r} or urgency {urgency!r}") from None


def more_severe(a: str, b: str) -> str:
    """S1 is the most severe; the labels sort that way."""
    return min(a, b)
