"""What the sync engine needs from the app that owns enhancement requests (see core/hooks.py).

The engine syncs a request with its tracker twin as it syncs a defect, but
requests live in an app above this one, whose rules (the status machine, the
thread) this app must not import. So the two things a tracker may do to a
request are slots here, which the enhancements app fills in its
`AppConfig.ready()`:

- `request_apply_status`: move the request to a status, as a tracker asks;
- `request_comment_add`: add a tracker's comment to the request's thread.

Unlike a hook, which tells every receiver and expects nothing back, a slot has
exactly one implementation and returns its answer. It is called inside the
engine's transaction and raises what the implementation raises (a
ValidationError for a move the request's machine refuses). An empty slot
raises LookupError: a request twin is then left alone, as an issue that could
not be applied.

Going the other way needs no slot: the requests app sits above this one and
writes its outbox rows through sync.outbox directly, in its own transactions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Slot(Generic[P, R]):
    """One implementation of `contract`, provided by a higher app."""

    def __init__(self, contract: Callable[P, R]) -> None:
        self.contract = contract
        self.name = f"{contract.__module__}.{contract.__name__}"
        self._implementation: Callable[P, R] | None = None

    def __repr__(self) -> str:
        return f"<Slot {self.name}: {'filled' if self.filled else 'empty'}>"

    @property
    def filled(self) -> bool:
        return self._implementation is not None

    def fill(self, implementation: Callable[P, R]) -> Callable[P, R]:
        """Provide the implementation (filling it again replaces it). Returns it, so it can decorate."""
        self._implementation = implementation
        return implementation

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._implementation is None:
            raise LookupError(f"{self.name} has no implementation: is the enhancements app installed?")
        return self._implementation(*args, **kwargs)

    def check(self) -> None:
        """Raise TypeError unless the implementation accepts the contract's keyword arguments."""
        if self._implementation is None:
            return
        expected = inspect.signature(self.contract).parameters
        params = inspect.signature(self._implementation).parameters
        missing = [name for name in expected if name not in params]
        extra = [
            name for name, p in params.items() if name not in expected and p.default is inspect.Parameter.empty
        ]
        if missing or extra:
            raise TypeError(
                f"{self._implementation.__module__}.{self._implementation.__qualname__} does not fit slot "
                f"{self.name}: missing {missing}, unexpected {extra}."
            )


def _request_apply_status(*, request: Any, to: str, channel: str, reason: str) -> None:
    """Move `request` to the request status `to` as the tracker named by `channel` asks.

    Walks the request's own moves (each audited, as made by that tracker);
    raises ValidationError naming why when its machine does not allow the move
    (and then changes nothing).
    """


def _request_comment_add(*, request: Any, body: str, channel: str) -> int:
    """Add a tracker's comment (`body`, already signed with its author and tracker) to `request`'s
    thread, audited as made by the tracker; returns the new comment's id."""
    raise NotImplementedError


request_apply_status = Slot(_request_apply_status)
request_comment_add = Slot(_request_comment_add)

ALL = (request_apply_status, request_comment_add)
