"""Audit rows and comment threads for seeded data, shaped like the ones the services write."""

import random
from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType

from core.models import Channel
from defects.models import Comment, Defect, Team
from tickets.models import Ticket
from tools.scale.catalog import Catalog
from tools.scale.seed_defects import SeededDefect


def _entry(*, content_type_id, obj_id, repr_, action, at, actor_id, channel=Channel.WEB,
           field="", old="", new="", reason="") -> dict:
    return {
        "at": at, "actor_id": actor_id, "channel": channel, "content_type_id": content_type_id,
        "object_id": obj_id, "object_repr": repr_[:200], "action": action, "field": field,
        "old": old, "new": new, "reason": reason,
    }


def audit_rows(
    rng: random.Random, catalog: Catalog, defects: list[SeededDefect], tickets: list[dict], links: list[dict]
) -> Iterator[dict]:
    """Created, linked and status-changed entries for every seeded ticket and defect."""
    ticket_ct = ContentType.objects.get_for_model(Ticket).pk
    defect_ct = ContentType.objects.get_for_model(Defect).pk
    key_of = {d.row["id"]: d.row["key"] for d in defects}
    team_name = dict(Team.objects.values_list("id", "name"))
    by_ticket = {row["id"]: row for row in tickets}
    for row in tickets:
        repr_ = f'{row["number"]} {row["subject"]}'
        channel = Channel.API if rng.random() < 0.1 else Channel.WEB
        yield _entry(content_type_id=ticket_ct, obj_id=row["id"], repr_=repr_, action="created",
                     at=row["created_at"], actor_id=row["created_by_id"], channel=channel)
        if row["status"] != Ticket.Status.NEW:
            yield _entry(content_type_id=ticket_ct, obj_id=row["id"], repr_=repr_, action="changed",
                         at=row["updated_at"], actor_id=row["assignee_id"], field="status",
                         old=Ticket.Status.NEW, new=row["status"])
    for link in links:
        row = by_ticket[link["ticket_id"]]
        yield _entry(content_type_id=ticket_ct, obj_id=row["id"], repr_=f'{row["number"]} {row["subject"]}',
                     action="linked", at=link["linked_at"], actor_id=link["linked_by_id"], field="defect",
                     new=key_of[link["defect_id"]])
    for defect in defects:
        row = defect.row
        repr_ = f'{row["key"]} {row["title"]}'
        yield _entry(content_type_id=defect_ct, obj_id=row["id"], repr_=repr_, action="created",
                     at=row["created_at"], actor_id=row["created_by_id"],
                     new=f'routed to {team_name.get(row["team_id"], "Unrouted")}, {row["severity"]}')
        if row["status"] != Defect.Status.NEW:
            yield _entry(content_type_id=defect_ct, obj_id=row["id"], repr_=repr_, action="changed",
                         at=row["updated_at"], actor_id=rng.choice(catalog.engineers).pk, field="status",
                         old=Defect.Status.NEW, new=row["status"])


COMMENT_LINES = [
    "Customer confirmed it happens again this morning.",
    "Could you attach the log from the **export** job?",
    "Reproduced on the staging copy; looking at the query now.",
    "Workaround: export in smaller batches until the fix ships.",
    "The fix is in review, planned for the next release (an estimate).",
    "Asked the customer for the exact version and browser.",
    "Not seen since the last patch; keeping an eye on it.",
]


def comment_rows(
    rng: random.Random, catalog: Catalog, defects: list[SeededDefect], tickets: list[dict]
) -> Iterator[dict]:
    """A thread on most tickets and defects: the help desk on tickets, engineering on defects."""
    shared, internal = Comment.Visibility.SHARED, Comment.Visibility.INTERNAL
    for row in tickets:
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            yield {
                "ticket_id": row["id"], "defect_id": None, "author_id": row["created_by_id"],
                "body": rng.choice(COMMENT_LINES), "side": Comment.Side.HELPDESK,
                "visibility": internal if rng.random() < 0.7 else shared,
                "created_at": row["created_at"] + (row["updated_at"] - row["created_at"]) * rng.random(),
            }
    for defect in defects:
        row = defect.row
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            yield {
                "ticket_id": None, "defect_id": row["id"], "author_id": rng.choice(catalog.engineers).pk,
                "body": rng.choice(COMMENT_LINES), "side": Comment.Side.ENGINEERING,
                "visibility": shared if rng.random() < 0.7 else internal,
                "created_at": row["created_at"] + (row["updated_at"] - row["created_at"]) * rng.random(),
            }
