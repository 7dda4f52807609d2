"""Linking tickets to defects, and what linking does to a defect's impact."""

from django.db.models import Count

from core.audit import audit_changes
from defects.hooks import defect_changed, defect_edited
from defects.models import Defect, TicketDefectLink
from defects.severity import Impact, compute_severity, more_severe

SEVERAL_CUSTOMERS = "Tickets from more than one customer are linked."


def impact_with(defect: Defect, *, customers: int) -> tuple[str, str]:
    """(impact, severity) the defect takes with `customers` customers linked.

    Two customers or more make the impact multiple_customers and the severity
    follows the matrix, never dropping below a severity someone already set
    higher. Fewer customers change nothing: an impact or severity is never
    lowered by itself (engineering decides that).
    """
    if customers < 2 or defect.impact == Impact.MULTIPLE_CUSTOMERS:
        return defect.impact, defect.severity
    impact = Impact.MULTIPLE_CUSTOMERS
    return impact, more_severe(defect.severity, compute_severity(impact, defect.urgency))


def defect_link_counts(defect: Defect) -> dict[str, int]:
    """{"customers": n, "tickets": n} linked to the defect now (one query)."""
    return TicketDefectLink.objects.filter(defect=defect).aggregate(
        customers=Count("ticket__customer", distinct=True), tickets=Count("ticket", distinct=True)
    )


def defect_refresh_impact(*, defect: Defect, actor, channel: str) -> Defect:
    """Recount the customers and tickets linked; two customers or more raise the impact (impact_with).

    A severity raised so is a severity change like any other: its reason says why, the help
    desk is told and the tracker twins hear of it.
    """
    counts = defect_link_counts(defect)
    impact, severity = impact_with(defect, customers=counts["customers"])
    changes: dict[str, tuple] = {}
    fields = ["impact", "severity", "customer_count", "ticket_count", "updated_at"]
    if impact != defect.impact:
        changes["impact"] = (defect.impact, impact)
        defect.impact = impact
    if severity != defect.severity:
        changes["severity"] = (defect.severity, severity)
        defect.severity = severity
        defect.severity_reason = SEVERAL_CUSTOMERS
        fields.append("severity_reason")
    defect.customer_count = counts["customers"]
    defect.ticket_count = counts["tickets"]
    defect.save(update_fields=fields)
    if changes:
        audit_changes(obj=defect, actor=actor, channel=channel, changes=changes, reason=SEVERAL_CUSTOMERS)
        defect_changed.send(defect=defect, changed=frozenset(changes), channel=channel)
        defect_edited.send(defect=defect, changes=changes, actor=actor, channel=channel)
    return defect
