"""The report, outreach and ship payloads of the release API, and a CSV renderer."""

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from core.api import IdField
from releases.models import Release
from releases.services.report import ReleaseReport
from tickets.models import Product


class CSVRenderer(BaseRenderer):
    """Passes through text the view already made CSV (see releases.services.export)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        # Errors (403, 404) are dicts: send them as JSON text rather than fail.
        return JSONRenderer().render(data)


class ReleaseCreateSerializer(serializers.Serializer):
    product = IdField(queryset=Product.objects.all())
    version = serializers.CharField(max_length=40)
    planned_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ReleaseShipSerializer(serializers.Serializer):
    move_unfixed_to = IdField(
        queryset=Release.objects.all(), required=False, allow_null=True, default=None,
        help_text="A later planned release of the same product for the defects planned here but not fixed; "
        "empty drops their plan.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000,
        help_text="Why ship although the tag lacks fixes marked for this release (required then).",
    )


def _dt(value):
    return value.isoformat() if value else None


def _ticket(ticket) -> dict:
    return {
        "id": ticket.pk, "number": ticket.number, "subject": ticket.subject, "status": ticket.status,
        "customer": ticket.customer_id, "version": ticket.version.name if ticket.version_id else None,
    }


def report_data(report: ReleaseReport) -> dict:
    """The report as JSON-ready data: defects, customers with contacts (and notified_at), delivered requests with
    the contacts to tell of them, upgrades."""
    release = report.release
    return {
        "release": {
            "id": release.pk, "product": release.product_id, "product_name": release.product.name,
            "version": release.version, "status": release.status, "released_at": _dt(release.released_at),
        },
        "customer_filter": report.customer_filter.pk if report.customer_filter else None,
        "defects": [
            {
                "id": d.pk, "key": d.key, "title": d.title, "severity": d.severity, "status": d.status,
                "tickets": [_ticket(ticket) for ticket in d.tickets],
            }
            for d in report.defects
        ],
        "customers": [
            {
                "id": entry.customer.pk,
                "name": entry.customer.name,
                "reported_version": entry.version,
                "upgrade_to": entry.upgrade.version if entry.upgrade else None,
                "tickets": [
                    {**_ticket(row.ticket), "can_close": row.can_close, "defects": [d.key for d in row.defects]}
                    for row in entry.tickets
                ],
                "contacts": [
                    {
                        "id": r.contact.pk, "name": r.contact.name, "email": r.contact.email,
                        "phone": r.contact.phone, "tickets": [t.number for t in r.tickets],
                        "notice_status": r.notice.status if r.notice else None,
                        "notified_at": _dt(r.notified_at),
                    }
                    for r in entry.contacts
                ],
            }
            for entry in report.customers
        ],
        "requests": [
            {
                "id": r.pk, "key": r.key, "title": r.title,
                "customers": [{"id": pk, "name": name} for pk, name in r.customers],
                "tickets": [_ticket(ticket) for ticket in r.tickets],
            }
            for r in report.requests
        ],
        "request_contacts": [
            {
                "id": c.contact.pk, "name": c.contact.name, "email": c.contact.email,
                "requests": [r.key for r in c.requests], "tickets": [t.number for t in c.tickets],
                "notice_status": c.notice.status if c.notice else None, "notified_at": _dt(c.notified_at),
            }
            for c in report.request_contacts
        ],
        "upgrades": _upgrades(report),
    }


def _upgrades(report: ReleaseReport) -> list[dict]:
    """The advice customer by customer; the customers of one version share its list of fixes."""
    gains: dict[int, list[dict]] = {}
    rows = []
    for advice in report.upgrades_per_customer():
        if id(advice.gains) not in gains:
            gains[id(advice.gains)] = [
                {
                    "id": d.pk, "key": d.key, "title": d.title, "severity": d.severity, "fixed_in": d.fixed_in_version,
                    "take": d.take.version if d.take else d.fixed_in_version,
                    "backport": bool(d.take and d.take.backport),
                }
                for d in advice.gains
            ]
        rows.append({
            "customer": advice.customer_id, "customer_name": advice.customer_name, "runs_version": advice.version,
            # The release that brings every gain: a backport of their own line when the code says so;
            # None when the version they run holds them all.
            "upgrade_to": advice.upgrade.version if advice.upgrade else None,
            "upgrade_is_backport": bool(advice.upgrade and advice.upgrade.backport),
            "gains": gains[id(advice.gains)],
        })
    return rows
