"""The report as CSV, safe to open in a spreadsheet."""

import csv
import io

from django.utils.text import slugify

from core.csvcells import csv_cell
from releases.services.report import ReleaseReport

HEADER = [
    "Customer", "Contacts", "Ticket", "Subject", "Ticket status", "Can close",
    "Defect", "Defect title", "Severity", "Reported version", "Fixed in", "Notified",
]


def report_rows(report: ReleaseReport) -> list[list[str]]:
    """One row per customer ticket and defect fixed, then per ticket and request delivered; each cell escaped."""
    release = report.release
    rows = []
    for entry in report.customers:
        for row in entry.tickets:
            ticket = row.ticket
            contacts = [c for c in entry.contacts if ticket in c.tickets]
            who = "; ".join(f"{c.contact.name} <{c.contact.email}>" for c in contacts)
            notified = "; ".join(
                f"{c.contact.email} {c.notified_at.isoformat(timespec='minutes')}" for c in contacts if c.notified_at
            )
            for defect in row.defects:
                rows.append([csv_cell(v) for v in (
                    entry.customer.name, who, ticket.number, ticket.subject, ticket.get_status_display(),
                    "yes" if row.can_close else "no", defect.key, defect.title, defect.severity,
                    ticket.version.name if ticket.version_id else "", release.version, notified,
                )])
    for request in report.requests:
        # A delivered enhancement request: one row per ticket that asked, in the same columns
        # (its key and title where a fix has the defect's).
        for ticket in request.tickets:
            contacts = [c for c in report.request_contacts if ticket in c.tickets]
            who = "; ".join(f"{c.contact.name} <{c.contact.email}>" for c in contacts)
            notified = "; ".join(
                f"{c.contact.email} {c.notified_at.isoformat(timespec='minutes')}" for c in contacts if c.notified_at
            )
            rows.append([csv_cell(v) for v in (
                dict(request.customers).get(ticket.customer_id, ""), who, ticket.number, ticket.subject,
                ticket.get_status_display(), "yes" if ticket.is_open else "no", request.key, request.title,
                "request", "", release.version, notified,
            )])
    return rows


def report_csv(report: ReleaseReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(report_rows(report))
    return out.getvalue()


def report_filename(report: ReleaseReport) -> str:
    """'fixed-in-billing-2.10.1.csv': the product's name as people know it (slugified), not its code."""
    release = report.release
    version = "".join(ch if ch.isalnum() or ch in ".-" else "-" for ch in release.version)
    product = slugify(release.product.name) or slugify(release.product.code) or "product"
    return f"fixed-in-{product}-{version}.csv"
