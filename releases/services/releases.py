"""Creating releases and finding the next one planned."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_record
from releases.models import Release
from tickets.models import Product

_VERSION = re.compile(r"^\d[0-9A-Za-z.\-+]*$")


def validate_version(*, product: Product, version: str, exclude_pk: int | None = None) -> str:
    """The version string, trimmed; ValidationError keyed `version` when unusable or taken."""
    version = (version or "").strip()
    if not version:
        raise ValidationError({"version": "A version is required, for example 2.4.0."})
    if not _VERSION.match(version) or len(version) > 40:
        raise ValidationError(
            {"version": "Use numbers separated by dots, optionally with a suffix: 2.4.0, 2.4.0-rc1."}
        )
    taken = Release.objects.filter(product=product, version__iexact=version)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"version": f"{product} already has a release {version}."})
    return version


@transaction.atomic
def release_create(
    *,
    product: Product,
    version: str,
    actor,
    channel: str,
    planned_date: date | None = None,
    notes: str = "",
) -> Release:
    """A new planned release of `product`, audited."""
    version = validate_version(product=product, version=version)
    release = Release.objects.create(
        product=product, version=version, planned_date=planned_date, notes=notes.strip()
    )
    audit_record(obj=release, actor=actor, channel=channel, action="created", new=f"{product} {version}")
    return release


def later_planned_releases(release: Release):
    """Planned releases of the same product with a higher version, nearest first."""
    return Release.objects.filter(
        product_id=release.product_id,
        status=Release.Status.PLANNED,
        version_key__gt=release.version_key,
    ).order_by("version_key")


def next_planned_release(release: Release) -> Release | None:
    return later_planned_releases(release).first()
