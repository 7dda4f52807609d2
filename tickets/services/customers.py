"""Changing customers: audited like every catalogue record, and a new tier told to the apps above."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.records import record_save
from tickets.hooks import customer_tier_changed
from tickets.models import Customer


def customer_tier_settled(*, customer: Customer, old_tier: str, actor, channel: str) -> None:
    """After a change to `customer` is saved: when its tier moved, let the apps above react (in this transaction).

    Enhancement requests count their demand by their customers' tiers.
    """
    if customer.tier != old_tier:
        customer_tier_changed.send(customer=customer, old=old_tier, new=customer.tier, actor=actor, channel=channel)


@transaction.atomic
def customer_update(*, customer: Customer, values: Mapping[str, Any], actor, channel: str) -> Customer:
    """Change a customer's fields (name, tier), audited; a new tier recounts its requests' demand."""
    old_tier = customer.tier
    record_save(instance=customer, values=values, actor=actor, channel=channel)
    customer_tier_settled(customer=customer, old_tier=old_tier, actor=actor, channel=channel)
    return customer
