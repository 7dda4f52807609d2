"""What the enhancements app tells the apps above it (see core/hooks.py for the contract).

- `request_changed` (portal connects): a request's status or estimate moved, so
  what the customers of its tickets read of them may have changed; sent inside
  the change's transaction (the portal mails customers only after the commit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hooks import Hook

if TYPE_CHECKING:
    from enhancements.models import EnhancementRequest


def _request_changed(*, request: EnhancementRequest, actor: Any, channel: str) -> None:
    """`request` moved (status, target or delivered release); for a merge, `request` is the one
    that now carries the tickets."""


request_changed = Hook(_request_changed)
