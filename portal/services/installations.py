"""The products and versions a customer runs, kept by its contacts (portal) and by the help desk."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import audit_changes, audit_record
from defects.services.parts import validate_product_parts
from portal.models import Installation
from tickets.models import Customer, Product, ProductVersion


@transaction.atomic
def installation_save(
    *, customer: Customer, product: Product, version: ProductVersion | None, environment: str, actor,
    channel: str, installation: Installation | None = None,
) -> Installation:
    """Add an installation to `customer`, or change `installation` (one of the customer's), audited.

    Raises ValidationError for a version of another product, an empty
    environment, or a second installation of the product in the same environment.
    """
    environment = " ".join((environment or "").split())[:100]
    if not environment:
        raise ValidationError({"environment": "Name the environment, e.g. Production."})
    validate_product_parts(product=product, component=None, version=version)
    if installation is not None and installation.customer_id != customer.pk:
        raise ValidationError({"installation": "Not an installation of this customer."})
    before = None if installation is None else (installation.product, installation.version, installation.environment)
    installation = installation or Installation(customer=customer)
    installation.product, installation.version, installation.environment = product, version, environment
    try:
        with transaction.atomic():
            installation.save()
    except IntegrityError:
        if before is not None:
            # Refused: the caller's installation reads as saved again (its page heading among others).
            installation.product, installation.version, installation.environment = before
        raise ValidationError(
            {"environment": f"{product.name} already has an installation called {environment}."}
        ) from None
    if before is None:
        audit_record(obj=customer, actor=actor, channel=channel, action="installation added",
                     new=f"{product.name} {version or '(version unknown)'} ({environment})")
    else:
        audit_changes(obj=customer, actor=actor, channel=channel, action="installation changed", changes={
            "installed product": (before[0], product), "installed version": (before[1], version),
            "environment": (before[2], environment),
        })
    return installation


@transaction.atomic
def installation_delete(*, installation: Installation, actor, channel: str) -> None:
    audit_record(obj=installation.customer, actor=actor, channel=channel, action="installation removed",
                 old=f"{installation.product.name} {installation.version or ''} ({installation.environment})")
    installation.delete()
