"""After the edits: is every linked pair the same on both sides, with nothing duplicated,
lost or bounced back and forth?

A pair has converged when each synced field reads the same in the tracker as the portal's
value in the tracker's terms (or a recorded SyncConflict says why the portal could not take
it), each comment the soak wrote is on the other side exactly once, at its latest text and
deleted when it was deleted, and none of its outbox rows is still open.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from sync.config import connection_config
from sync.connectors import connector_for
from sync.connectors.base import TwinRef
from sync.models import Connection, ExternalIssue, OutboxItem, SyncConflict

FIELDS = ("status", "priority", "version", "title")
OPEN = ("pending", "claimed", "failed")


@dataclass
class SoakComment:
    token: str
    origin: str  # "portal" or "tracker"
    portal_id: int | None = None
    tracker_id: str = ""
    version: int = 1
    deleted: bool = False

    def text(self) -> str:
        return f"soak:{self.token}:v{self.version} "


@dataclass
class Pair:
    tracker: object
    defect_id: int
    twin_id: int
    ext: str
    key: str
    comments: list[SoakComment] = field(default_factory=list)
    edits: int = 0
    last_edit: float = 0.0
    portal_rows: set[int] = field(default_factory=set)
    converged_at: float | None = None


@dataclass
class Verdict:
    converged: bool
    mismatched: list[str]
    duplicates: int
    lost: int
    stale: int
    open_rows: int
    problems: list[str] = field(default_factory=list)


def _norm(value) -> str:
    return (value or "").strip().lower()


def _count(bodies, comment: SoakComment) -> tuple[int, bool]:
    """How many of `bodies` carry the comment, and whether one of them is at its latest text."""
    marker = f"soak:{comment.token}:v"
    having = [b for b in bodies if marker in (b or "")]
    return len(having), any(comment.text() in b for b in having)


def check_pair(pair: Pair) -> Verdict:
    from defects.models import Comment, Defect

    twin = ExternalIssue.objects.select_related("connection").get(pk=pair.twin_id)
    connection = twin.connection
    config = connection_config(connection)
    defect = Defect.objects.select_related("planned_release").get(pk=pair.defect_id)
    issue = connector_for(connection).fetch(TwinRef(external_id=twin.external_id, key=twin.key, url=twin.url))
    release = defect.planned_release
    expected = {
        "status": config.tracker_status(defect.status),
        "priority": config.tracker_priority(defect.severity),
        "version": config.tracker_version(release.version if release else None),
        "title": defect.title,
    }
    mismatched = []
    for name in FIELDS:
        if _norm(issue.fields.get(name)) == _norm(expected[name]):
            continue
        explained = SyncConflict.objects.filter(defect=defect, connection=connection, field=name).exclude(note="")
        if not explained.exists():
            mismatched.append(f"{name}: portal {expected[name]!r}, tracker {issue.fields.get(name)!r}")

    tracker_bodies = [c.body for c in issue.comments if not c.deleted]
    portal = list(Comment.objects.filter(defect=defect).values_list("body", "deleted_at"))
    duplicates = lost = stale = 0
    problems: list[str] = []
    for comment in pair.comments:
        before = (duplicates, lost, stale)
        if comment.origin == "portal":
            count, latest = _count(tracker_bodies, comment)
            if comment.deleted:
                # Deleted there, or (Redmine, which cannot delete a note) edited to say so.
                live = [b for b in tracker_bodies if f"soak:{comment.token}:v" in b
                        and "deleted in handoff" not in b.lower()]
                duplicates += max(0, count - 1)
                stale += 1 if live and count == 1 else 0
                if (duplicates, lost, stale) != before:
                    problems.append(f"{comment}: {live}")
                continue
        else:
            having = [(b, d) for b, d in portal if f"soak:{comment.token}:v" in b]
            count, latest = _count([b for b, _ in having], comment)
            if comment.deleted:
                duplicates += max(0, count - 1)
                lost += 1 if count == 0 else 0
                stale += 1 if count == 1 and having[0][1] is None else 0
                if (duplicates, lost, stale) != before:
                    problems.append(f"{comment}: {having}")
                continue
            if count == 1 and having[0][1] is not None:
                stale += 1
                problems.append(f"{comment}: deleted in the portal only")
                continue
        duplicates += max(0, count - 1)
        lost += 1 if count == 0 else 0
        stale += 1 if count >= 1 and not latest else 0
        if (duplicates, lost, stale) != before:
            other = tracker_bodies if comment.origin == "portal" else [b for b, _ in portal]
            problems.append(f"{comment}: {[b for b in other if f'soak:{comment.token}:v' in b]}")
    open_rows = OutboxItem.objects.filter(defect=defect, connection=connection, status__in=OPEN).count()
    converged = not mismatched and not duplicates and not lost and not stale and not open_rows
    return Verdict(converged, mismatched, duplicates, lost, stale, open_rows, problems)


def loops_of(pair: Pair, *, after_id: int) -> int:
    """Pushes no portal edit of the soak wrote: a change that came back and went out again."""
    rows = OutboxItem.objects.filter(defect_id=pair.defect_id, pk__gt=after_id).values_list("pk", flat=True)
    return len(set(rows) - pair.portal_rows)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def table(rows: list[dict]) -> str:
    heads = ["tracker", "edits", "pairs", "converged", "conflicts", "duplicates", "lost", "loops",
             "outbox left", "p50 s", "p95 s"]
    lines = [heads] + [[str(r[h]) for h in heads] for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(heads))]
    out = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                     for i, (cell, w) in enumerate(zip(line, widths, strict=True))) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def summarize(kind: str, pairs: list[Pair], verdicts: dict[int, Verdict], loops: dict[int, int],
              connection: Connection) -> dict:
    times = [(p.converged_at - max(p.last_edit, 0.0)) for p in pairs if p.converged_at is not None]
    return {
        "tracker": kind,
        "edits": sum(p.edits for p in pairs),
        "pairs": len(pairs),
        "converged": sum(1 for p in pairs if verdicts[p.twin_id].converged),
        "conflicts": SyncConflict.objects.filter(connection=connection).count(),
        "duplicates": sum(verdicts[p.twin_id].duplicates for p in pairs),
        "lost": sum(verdicts[p.twin_id].lost for p in pairs),
        "loops": sum(loops[p.twin_id] for p in pairs),
        "outbox left": sum(verdicts[p.twin_id].open_rows for p in pairs),
        "p50 s": f"{statistics.median(times):.1f}" if times else "-",
        "p95 s": f"{percentile(times, 0.95):.1f}" if times else "-",
    }
