"""The portal side of the soak: an engineer's edits, through Handoff's services.

Each edit runs in its own transaction holding the defect's row lock, which every change
to a defect takes (the worker's too); the outbox rows of that defect written meanwhile
are the edit's, so every later push can be traced to the edit it came from and any
other is a loop.
"""

from __future__ import annotations

import random

from django.db import transaction

from core.models import Channel
from defects.models import Comment, Defect
from defects.services.changes import defect_update
from defects.services.comments import comment_add, comment_delete, comment_edit
from defects.services.transitions import allowed_transitions, defect_transition
from sync.models import OutboxItem
from tools.soak.trackers import STATUSES


class Portal:
    def __init__(self, *, engineer, releases: dict[str, object], rng: random.Random) -> None:
        self.engineer = engineer
        self.releases = releases
        self.rng = rng

    @staticmethod
    def _rows(defect_id: int, after: int = 0) -> set[int]:
        return set(OutboxItem.objects.filter(defect_id=defect_id, pk__gt=after).values_list("pk", flat=True))

    def edit(self, defect_id: int, action: str, value) -> tuple[set[int], object]:
        """Make one edit; returns the outbox rows it wrote and what it made (a comment, or None)."""
        with transaction.atomic():
            defect = Defect.objects.select_for_update().get(pk=defect_id)
            before = max(self._rows(defect_id), default=0)
            made = getattr(self, action)(defect, value)
            return self._rows(defect_id, before), made

    def status(self, defect: Defect, _value) -> None:
        choices = [s for s in allowed_transitions(defect) if s in STATUSES]
        if choices:
            defect_transition(defect=defect, to=self.rng.choice(choices), actor=self.engineer,
                              channel=Channel.API, reason="Soak")

    def title(self, defect: Defect, value: str) -> None:
        defect_update(defect=defect, actor=self.engineer, channel=Channel.API, title=value)

    def priority(self, defect: Defect, value: str) -> None:
        defect_update(defect=defect, actor=self.engineer, channel=Channel.API, severity=value,
                      severity_reason="Soak")

    def version(self, defect: Defect, value: str) -> None:
        defect_update(defect=defect, actor=self.engineer, channel=Channel.API,
                      planned_release=self.releases[value])

    def comment_add(self, defect: Defect, body: str) -> Comment:
        return comment_add(actor=self.engineer, channel=Channel.API, body=body, visibility="shared", defect=defect)

    def comment_edit(self, defect: Defect, value: tuple[int, str]) -> None:
        comment_id, body = value
        comment_edit(comment=Comment.objects.get(pk=comment_id), actor=self.engineer, channel=Channel.API,
                     body=body)

    def comment_delete(self, defect: Defect, comment_id: int) -> None:
        comment_delete(comment=Comment.objects.get(pk=comment_id), actor=self.engineer, channel=Channel.API)
