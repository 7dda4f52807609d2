"""A component or a version belongs to one product.

Tickets, defects and routing rules all name a product with, optionally, one of
its components or versions; this is the one check they share. It lives with
defects, the lowest app that names products, so tickets and the defects API
call the same function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from tickets.models import Component, Product, ProductVersion


def validate_product_parts(
    *, product: Product, component: Component | None = None, version: ProductVersion | None = None
) -> None:
    errors = {}
    if component is not None and component.product_id != product.pk:
        errors["component"] = f"{component} is not a component of {product}."
    if version is not None and version.product_id != product.pk:
        errors["version"] = f"{version} is not a version of {product}."
    if errors:
        raise ValidationError(errors)
