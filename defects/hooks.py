"""What the defects app tells the apps above it (see core/hooks.py for the contract).

Two audiences, sent at different points of a service so that the order of
rows stays what it was when these calls were written inline:

- the tracker twins (sync connects): `defect_changed`, `defect_commented`,
  sent where the outbox rows belong, in the change's transaction;
- the tickets following a defect (tickets connects): `defect_transitioned`,
  `defect_edited`, `engineering_commented`, sent once the defect's own work
  is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hooks import Hook

if TYPE_CHECKING:
    from defects.models import Comment, Defect


def _defect_changed(*, defect: Defect, changed: frozenset[str], channel: str) -> None:
    """Fields a tracker twin mirrors changed (any of title, description, severity, planned_release,
    fixed_in_release, team, status); `defect` already holds the new values."""


def _defect_commented(*, defect: Defect, comment: Comment, actor: Any, channel: str) -> None:
    """A shared comment was added to `defect`'s thread (on the defect or on one of its tickets)."""


def _defect_comment_changed(*, defect: Defect, comment: Comment, actor: Any, channel: str, deleted: bool) -> None:
    """A shared comment in `defect`'s thread was edited in place (its new body in `comment.body`),
    or deleted (`deleted`, with `comment.deleted_in` saying where)."""


def _defect_transitioned(
    *, defect: Defect, actor: Any, channel: str, reason: str,
    duplicate_of: Defect | None, moved_ticket_ids: frozenset[int],
) -> None:
    """`defect` moved to a new status (`defect.status`). For a duplicate, `duplicate_of` is the defect
    that carries the work and `moved_ticket_ids` the tickets whose links moved onto it."""


def _defect_edited(*, defect: Defect, changes: dict[str, tuple[Any, Any]], actor: Any, channel: str) -> None:
    """Engineering edited `defect`: `changes` maps each changed field to (old, new)."""


def _engineering_commented(*, defect: Defect, comment: Comment, actor: Any) -> None:
    """Engineering shared a comment on `defect` that the help desk should read."""


defect_changed = Hook(_defect_changed)
defect_commented = Hook(_defect_commented)
defect_comment_changed = Hook(_defect_comment_changed)
defect_transitioned = Hook(_defect_transitioned)
defect_edited = Hook(_defect_edited)
engineering_commented = Hook(_engineering_commented)

ALL = (
    defect_changed, defect_commented, defect_comment_changed, defect_transitioned, defect_edited,
    engineering_commented,
)
