"""Linking tickets to defects, and what linking does to a defect's impact."""

from django.db.models import Count

from core.audit import audit_changes
from defects.models import Defect, TicketDefectLink
from defects.severity import Impact, compute_severity, more_severe


def defect_refresh_impact(*, defect: Defect, actor, channel: str) -> Defect:
    """Recount the customers and tickets linked; two customers or more raise the impact.

    When tickets from a second customer link, the impact becomes
    multiple_customers and the severity follows the matrix; it never drops
    below a severity someone already set higher.
    """
    counts = TicketDefectLink.objects.filter(defect=defect).aggregate(
        customers=Count("ticket__customer", distinct=True), tickets=Count("ticket", distinct=True)
    )
    changes: dict[str, tuple] = {}
    if counts["customers"] >= 2 and defect.impact != Impact.MULTIPLE_CUSTOMERS:
        changes["impact"] = (defect.impact, Impact.MULTIPLE_CUSTOMERS)
        defect.impact = Impact.MULTIPLE_CUSTOMERS
        severity = more_severe(defect.severity, compute_severity(defect.impact, defect.urgency))
        if severity != defect.severity:
            changes["severity"] = (defect.severity, severity)
            defect.severity = severity
    defect.customer_count = counts["customers"]
    defect.ticket_count = counts["tickets"]
    defect.save(update_fields=["impact", "severity", "customer_count", "ticket_count", "updated_at"])
    if changes:
        audit_changes(
            obj=defect, actor=actor, channel=channel, changes=changes,
            reason="Tickets from more than one customer are linked.",
        )
    return defect
