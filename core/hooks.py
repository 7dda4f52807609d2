"""Hooks: how a lower app lets a higher one react without importing it.

The apps depend on each other in one direction only:

    core  <-  defects  <-  sync  <-  tickets  <-  enhancements  <-  releases  <-  portal

The domain of an app (models, services, selectors, hooks, tasks) imports only
the apps to its left and no presentation module; its presentation (views,
forms, API, template tags) may also read the models, selectors and serializers
of the apps to its right (tests/core/test_layering.py checks both).

When a lower app changes something a higher one must react to (a defect moved,
and the tickets following it must follow; a defect changed, and its tracker
twins must hear of it), the lower app declares a `Hook` and sends it, and the
higher app connects a receiver in its `AppConfig.ready()`.

The contract:

- A hook is declared with a prototype function: its keyword-only parameters,
  their types and its docstring are what every `send` passes and every
  receiver accepts. Type checkers hold both sides to it; `Hook.check` does at
  run time (the tests call it for every hook).
- `send` calls the receivers at once, in the order they were connected, inside
  the caller's transaction, and lets their exceptions propagate: a receiver's
  failure rolls the change back, as it did when the call was written inline.
  This is deliberate: the outbox row of a change must commit with the change
  itself (an outbox row written after the commit is lost if the process dies
  in between), and the help desk's view of a defect must never disagree with
  the defect. A hook is not a "post-commit signal".
- A receiver that talks to the outside world (queues a Celery task, sends an
  email, calls a tracker) does not do so directly: it defers that part with
  `transaction.on_commit`, as every service does, so nothing leaves the
  process for a change that is rolled back.
- No Django signals: no senders, no weak references, no dispatch uids. A hook
  is a list of functions, explicit where it is sent and where it is connected.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    """A named list of receivers, all called with the keyword arguments of `contract`."""

    def __init__(self, contract: Callable[P, None]) -> None:
        self.contract = contract
        self.name = f"{contract.__module__}.{contract.__name__}"
        self._receivers: list[Callable[P, None]] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receiver(s)>"

    @property
    def receivers(self) -> tuple[Callable[P, None], ...]:
        return tuple(self._receivers)

    def connect(self, receiver: Callable[P, None]) -> Callable[P, None]:
        """Add `receiver` (once: connecting it again changes nothing). Returns it, so it can decorate."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[P, None]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every receiver with these keyword arguments, in the order they were connected."""
        for receiver in self._receivers:
            receiver(*args, **kwargs)

    def check(self) -> None:
        """Raise TypeError unless every receiver accepts the contract's keyword arguments."""
        expected = inspect.signature(self.contract).parameters
        for receiver in self._receivers:
            params = inspect.signature(receiver).parameters
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
                continue
            missing = [name for name in expected if name not in params]
            extra = [
                name for name, p in params.items()
                if name not in expected and p.default is inspect.Parameter.empty
            ]
            if missing or extra:
                raise TypeError(
                    f"{receiver.__module__}.{receiver.__qualname__} does not fit hook {self.name}: "
                    f"missing {missing}, unexpected {extra}."
                )
