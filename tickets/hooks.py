"""What the tickets app tells the apps above it (see core/hooks.py for the contract).

- `customer_tier_changed` (enhancements connects): a customer's tier changed,
  so the demand of the requests it asks for is counted again; sent inside the
  change's transaction.
- `ticket_status_changed` (portal connects): a ticket's help-desk status moved,
  so what its customer reads of it may have changed; sent inside the change's
  transaction (the portal mails the customer only after the commit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hooks import Hook

if TYPE_CHECKING:
    from tickets.models import Customer, Ticket


def _customer_tier_changed(*, customer: Customer, old: str, new: str, actor: Any, channel: str) -> None:
    """`customer`'s tier moved from `old` to `new`; `customer` already holds the new tier."""


def _ticket_status_changed(*, ticket: Ticket, old: str, new: str, actor: Any, channel: str) -> None:
    """`ticket`'s help-desk status moved from `old` to `new`; `ticket` already holds the new status."""


customer_tier_changed = Hook(_customer_tier_changed)
ticket_status_changed = Hook(_ticket_status_changed)
