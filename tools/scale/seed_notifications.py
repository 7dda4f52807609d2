"""Notifications for seeded data, worded and addressed as the services write them.

- Each ticket's agent hears of its current defect's status and of its planned release,
  worded by tickets.services.follow itself, given unsaved models holding what it reads.
- Each routed defect tells the members of its team, worded by defects.services.changes.routed_message.

Older messages are mostly read and every one was emailed (the seeded users all
have an address and no digest), so the inbox, the unread count and the digest's
"not emailed yet" all meet the sizes a busy help desk has.
"""

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from core.models import Notification
from core.paths import path_maker
from defects.models import Defect, Team
from defects.services.changes import routed_message
from releases.models import Release
from tickets.models import Ticket
from tickets.services.follow import follow_message, help_desk_message, plan_text
from tools.scale.catalog import Catalog
from tools.scale.seed_defects import SeededDefect

Kind = Notification.Kind
S = Defect.Status
# Read within days, bar a few; the last week's are half unread.
RECENT = timedelta(days=7)


def _row(rng: random.Random, *, user_id: int, kind: str, message: str, url: str, actor_id: int | None,
         at: datetime, now: datetime, team_wide: bool = False) -> dict:
    unread = rng.random() < (0.5 if now - at < RECENT else 0.05)
    return {
        "user_id": user_id, "kind": kind, "message": message[:500], "url": url, "actor_id": actor_id,
        "created_at": at, "read_at": None if unread else min(now, at + timedelta(hours=48 * rng.random())),
        "subject": url, "team_wide": team_wide, "emailed_at": at,
    }


def notification_rows(
    rng: random.Random, catalog: Catalog, defects: list[SeededDefect], tickets: list[dict], links: list[dict],
    *, now: datetime,
) -> Iterator[dict]:
    """The rows described above, for the seeded tickets, defects and links.

    What they need from the database is read here, before the first row: the rows are
    written by COPY, during which the connection takes no other query.
    """
    releases = {release.pk: release for release in Release.objects.only("pk", "version", "released_at")}
    teams = {team.pk: (team.name, [user.pk for user in team.members.all()])
             for team in Team.objects.prefetch_related("members")}
    return _rows(rng, catalog, defects, tickets, links, releases=releases, teams=teams, now=now)


def _rows(
    rng: random.Random, catalog: Catalog, defects: list[SeededDefect], tickets: list[dict], links: list[dict],
    *, releases: dict, teams: dict, now: datetime,
) -> Iterator[dict]:
    defect_of = {d.row["id"]: d.row for d in defects}
    ticket_url, defect_url = path_maker("tickets:detail"), path_maker("defects:detail")
    # A ticket follows its newest link (Ticket.current_link).
    current: dict[int, dict] = {}
    for link in links:
        held = current.get(link["ticket_id"])
        if held is None or link["linked_at"] >= held["linked_at"]:
            current[link["ticket_id"]] = link
    for ticket in tickets:
        link = current.get(ticket["id"])
        if link is None or ticket["assignee_id"] is None:
            continue
        defect = defect_of[link["defect_id"]]
        url = ticket_url(ticket["id"])
        actor = rng.choice(catalog.engineers).pk
        at = max(defect["updated_at"], link["linked_at"])
        told = Defect(key=defect["key"], status=defect["status"],
                      fixed_in_release=releases.get(defect["fixed_in_release_id"]))
        about = Ticket(number=ticket["number"])
        if defect["planned_release_id"] is not None:
            message = help_desk_message(told, about, plan_text(releases[defect["planned_release_id"]]))
            yield _row(rng, user_id=ticket["assignee_id"], kind=Kind.PLANNED_RELEASE, url=url, actor_id=actor,
                       message=message, at=link["linked_at"], now=now)
        if defect["status"] not in (S.NEW, S.TRIAGE):
            kind, message = follow_message(told, about, "")
            yield _row(rng, user_id=ticket["assignee_id"], kind=kind, message=message, url=url, actor_id=actor,
                       at=at, now=now)
    for seeded in defects:
        defect = seeded.row
        if defect["team_id"] is None:
            continue
        name, members = teams[defect["team_id"]]
        message = routed_message(Defect(key=defect["key"], title=defect["title"], severity=defect["severity"]), name)
        for user_id in members:
            if user_id == defect["created_by_id"]:
                continue
            yield _row(rng, user_id=user_id, kind=Kind.ROUTED, message=message, url=defect_url(defect["id"]),
                       actor_id=defect["created_by_id"], at=defect["created_at"], now=now, team_wide=True)
