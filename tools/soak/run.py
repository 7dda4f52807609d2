"""The soak itself: set up linked pairs, edit both sides at random for a while (with a
tracker outage and a killed worker in the middle), wait for quiet, and check every pair.
"""

from __future__ import annotations

import os
import platform
import random
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tools.soak import world


@dataclass
class Options:
    seconds: int
    pairs: int
    outage: str
    seed: int
    database_url: str


ACTIONS = ("status", "title", "priority", "version", "comment_add", "comment_edit", "comment_delete")
WEIGHTS = (3, 2, 2, 2, 3, 2, 1)


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(options: Options) -> int:
    if not (os.environ.get("REDMINE_URL") and os.environ.get("REDMINE_API_KEY")):
        raise SystemExit('REDMINE_URL and REDMINE_API_KEY are needed: set -a; eval "$(scripts/redmine/start.sh)"')
    queue = world.prepare_environment(options.database_url)
    import django

    django.setup()
    from handoff.celery import app

    app.conf.task_always_eager = False
    return Soak(options, queue).run()


class Soak:
    def __init__(self, options: Options, queue: str) -> None:
        from django.test import Client

        self.options = options
        self.rng = random.Random(options.seed)
        self.client = Client()
        self.webhook_errors = 0
        self.logdir = Path(tempfile.mkdtemp(prefix="soak-sync-"))
        self.worker = world.Worker(queue=queue, log=self.logdir / "worker.log")
        self.pairs = []
        self.counter = 0

    # ------------------------------------------------------------------ setup
    def deliver(self, connection_id: int, body: bytes, headers: dict[str, str]) -> None:
        """Post a tracker's webhook delivery to the portal's endpoint, as the tracker would."""
        response = self.client.generic(
            "POST", f"/hooks/{connection_id}/", body, content_type=headers.get("Content-Type", "application/json"),
            headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        )
        if response.status_code >= 300:
            self.webhook_errors += 1

    def setup(self) -> None:
        from django.contrib.auth.models import Group, User

        from core.models import Channel
        from core.roles import ENGINEERS
        from defects.models import Team
        from defects.services.transitions import defect_transition
        from defects.severity import Impact, Urgency
        from releases.models import Release
        from sync.models import Connection, ExternalIssue
        from tickets.models import Customer, Product
        from tickets.services.escalation import ticket_escalate
        from tickets.services.tickets import ticket_create
        from tools.soak.portal import Portal
        from tools.soak.trackers import VERSIONS, GitHub, GitLab, Jira, Redmine
        from tools.soak.verify import Pair

        self.trackers = [
            Redmine(self.deliver, url=os.environ["REDMINE_URL"], key=os.environ["REDMINE_API_KEY"]),
            Jira(self.deliver), GitHub(self.deliver), GitLab(self.deliver),
        ]
        engineer = User.objects.create_user("soak-engineer", password=None)
        engineer.groups.add(Group.objects.get_or_create(name=ENGINEERS)[0])
        customer = Customer.objects.create(name="Soak customer")
        self.worker.start()
        for tracker in self.trackers:
            connection = Connection.objects.create(name=f"Soak {tracker.kind}", kind=tracker.kind,
                                                   **tracker.connection_fields())
            tracker.connection_id = connection.pk
            team = Team.objects.create(name=f"Soak team {tracker.kind}", connection=connection)
            product = Product.objects.create(name=f"Soak product {tracker.kind}", code=f"s{tracker.kind}",
                                             default_team=team)
            tracker.releases = {v: Release.objects.create(product=product, version=v) for v in VERSIONS}
            tracker.portal = Portal(engineer=engineer, releases=tracker.releases, rng=self.rng)
            for n in range(self.options.pairs):
                ticket = ticket_create(actor=engineer, channel=Channel.API, subject=f"Soak {tracker.kind} {n}",
                                       customer=customer, product=product)
                defect = ticket_escalate(ticket=ticket, actor=engineer, channel=Channel.API,
                                         title=f"Soak {tracker.kind} pair {n}", impact=Impact.SINGLE_USER,
                                         urgency=Urgency.DEGRADED)
                for step in ("triage", "in_progress"):
                    defect_transition(defect=defect, to=step, actor=engineer, channel=Channel.API, reason="Soak")
                self.pairs.append((tracker, defect.pk))
        log(f"{len(self.pairs)} defects made; waiting for their twins")
        deadline = time.monotonic() + 300
        while ExternalIssue.objects.count() < len(self.pairs) or self._open_rows():
            if time.monotonic() > deadline:
                raise SystemExit(f"twins not made after 300 s; worker log in {self.logdir}")
            time.sleep(0.5)
        twins = {t.defect_id: t for t in ExternalIssue.objects.all()}
        self.pairs = [Pair(tracker=tr, defect_id=d, twin_id=twins[d].pk, ext=twins[d].external_id,
                           key=twins[d].key) for tr, d in self.pairs]
        from sync.models import OutboxItem

        self.first_row = OutboxItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def _open_rows(self) -> int:
        from sync.models import OutboxItem

        return OutboxItem.objects.filter(status__in=["pending", "claimed"]).count()

    # ------------------------------------------------------------------ edits
    def text(self, pair, comment=None) -> str:
        from tools.soak.verify import SoakComment

        if comment is None:
            self.counter += 1
            comment = SoakComment(token=f"{self.counter}{uuid.uuid4().hex[:4]}", origin="")
        words = " ".join(self.rng.choice(("crash", "export", "retry", "timeout", "invoice", "login"))
                         for _ in range(4))
        return comment, f"{comment.text()}{words}"

    def edit_once(self, pair, *, tracker_up: bool) -> bool:
        """One random edit on one side of `pair`; False when there was nothing to do."""
        tracker = pair.tracker
        action = self.rng.choices(ACTIONS, WEIGHTS)[0]
        side = "portal" if not tracker_up or self.rng.random() < 0.5 else "tracker"
        from sync.config import connection_config
        from sync.models import Connection

        config = connection_config(Connection.objects.get(pk=tracker.connection_id))
        own = [c for c in pair.comments if c.origin == side and not c.deleted]
        if action in ("comment_edit", "comment_delete") and not own:
            action = "comment_add"
        if action == "comment_delete" and side == "tracker" and not tracker.can_delete_comments:
            action = "comment_edit"
        from tools.soak.trackers import STATUSES, VERSIONS

        if side == "portal":
            portal = tracker.portal
            value = {
                "title": f"Soak {tracker.kind} {pair.ext} title {self.rng.randrange(10**6)}",
                "priority": self.rng.choice(("S1", "S2", "S3", "S4")),
                "version": self.rng.choice(VERSIONS),
            }.get(action)
            if action == "comment_add":
                comment, value = self.text(pair)
            elif action == "comment_edit":
                comment = self.rng.choice(own)
                comment.version += 1
                _, body = self.text(pair, comment)
                value = (comment.portal_id, body)
            elif action == "comment_delete":
                comment = self.rng.choice(own)
                value = comment.portal_id
            rows, made = portal.edit(pair.defect_id, action, value)
            pair.portal_rows |= rows
            if action == "comment_add":
                comment.origin, comment.portal_id = "portal", made.pk
                pair.comments.append(comment)
            elif action == "comment_delete":
                comment.deleted = True
        else:
            ext = pair.ext
            if action == "status":
                tracker.set_status(ext, config.tracker_status(self.rng.choice(STATUSES)))
            elif action == "title":
                tracker.set_title(ext, f"Soak {tracker.kind} {ext} title {self.rng.randrange(10**6)}")
            elif action == "priority":
                tracker.set_priority(ext, config.tracker_priority(self.rng.choice(("S1", "S2", "S3", "S4"))))
            elif action == "version":
                tracker.set_version(ext, config.tracker_version(self.rng.choice(VERSIONS)))
            elif action == "comment_add":
                comment, body = self.text(pair)
                comment.origin = "tracker"
                comment.tracker_id = tracker.add_comment(ext, body)
                pair.comments.append(comment)
            elif action == "comment_edit":
                comment = self.rng.choice(own)
                comment.version += 1
                _, body = self.text(pair, comment)
                tracker.edit_comment(ext, comment.tracker_id, body)
            elif action == "comment_delete":
                comment = self.rng.choice(own)
                tracker.delete_comment(ext, comment.tracker_id)
                comment.deleted = True
        pair.edits += 1
        pair.last_edit = time.monotonic()
        return True

    def edit_phase(self) -> None:
        seconds = self.options.seconds
        outage_tracker = next(t for t in self.trackers if t.kind == self.options.outage)
        outage_for = min(60, max(10, seconds // 4))
        outage_at, kill_at = seconds * 0.2, seconds * 0.5
        down_since = None
        killed = False
        started = time.monotonic()
        errors = 0
        while (elapsed := time.monotonic() - started) < seconds:
            if down_since is None and not getattr(outage_tracker, "was_down", False) and elapsed >= outage_at:
                outage_tracker.down()
                outage_tracker.was_down = True
                down_since = time.monotonic()
                log(f"{outage_tracker.kind} down for {outage_for} s")
            if down_since is not None and time.monotonic() - down_since >= outage_for:
                outage_tracker.up()
                down_since = None
                log(f"{outage_tracker.kind} back")
            if not killed and elapsed >= kill_at:
                self.worker.kill(signal.SIGKILL)
                killed = True
                log("worker killed with SIGKILL; starting a new one")
                self.worker.start()
            pair = self.rng.choice(self.pairs)
            try:
                self.edit_once(pair, tracker_up=not (pair.tracker is outage_tracker and down_since is not None))
            except Exception as exc:  # a refused edit (say, a transition the portal forbids) is skipped
                errors += 1
                if errors <= 20:
                    log(f"edit on {pair.tracker.kind} {pair.key} skipped: {type(exc).__name__}: {str(exc)[:200]}")
            time.sleep(self.rng.uniform(0.05, 0.25))
        if down_since is not None:
            outage_tracker.up()
            log(f"{outage_tracker.kind} back")
        self.edit_errors = errors

    # ------------------------------------------------------------------ checks
    def quiet_phase(self, timeout: float = float(os.environ.get("SOAK_QUIET_TIMEOUT", "300"))):
        from tools.soak.verify import check_pair

        end_of_edits = time.monotonic()
        deadline = end_of_edits + timeout
        verdicts = {}
        while True:
            for pair in self.pairs:
                verdict = check_pair(pair)
                verdicts[pair.twin_id] = verdict
                if verdict.converged and pair.converged_at is None:
                    pair.converged_at = time.monotonic()
                elif not verdict.converged:
                    pair.converged_at = None
            if all(v.converged for v in verdicts.values()) and not self._open_rows():
                break
            if time.monotonic() > deadline:
                log(f"not quiet after {timeout:.0f} s")
                break
            time.sleep(1)
        log(f"quiet {time.monotonic() - end_of_edits:.0f} s after the last edit")
        return verdicts

    def stability_window(self) -> dict[int, int]:
        """No further push or change in two more poll periods: nothing is still bouncing."""
        from core.models import AuditEntry
        from defects.models import Comment
        from sync.models import OutboxItem

        before = (OutboxItem.objects.count(), AuditEntry.objects.count(), Comment.objects.count())
        time.sleep(2 * world.POLL_SECONDS + 3)
        after = (OutboxItem.objects.count(), AuditEntry.objects.count(), Comment.objects.count())
        return {"outbox rows": after[0] - before[0], "audit rows": after[1] - before[1],
                "comments": after[2] - before[2]}

    def run(self) -> int:
        from sync.models import Connection
        from tools.soak.verify import check_pair, loops_of, summarize, table

        started = time.monotonic()
        try:
            self.setup()
            log(f"editing for {self.options.seconds} s: {len(self.pairs)} pairs over "
                f"{', '.join(t.kind for t in self.trackers)}; outage: {self.options.outage}")
            self.edit_phase()
            verdicts = self.quiet_phase()
            growth = self.stability_window()
            verdicts = {p.twin_id: check_pair(p) for p in self.pairs}
        finally:
            self.worker.kill(signal.SIGTERM)
            for tracker in self.trackers if hasattr(self, "trackers") else ():
                if tracker.local is not None:
                    tracker.local.stop()
        loops = {p.twin_id: loops_of(p, after_id=self.first_row) for p in self.pairs}
        rows = []
        for tracker in self.trackers:
            pairs = [p for p in self.pairs if p.tracker is tracker]
            rows.append(summarize(tracker.kind, pairs, verdicts, loops,
                                  Connection.objects.get(pk=tracker.connection_id)))
        total_edits = sum(r["edits"] for r in rows)
        bad = [p for p in self.pairs if not verdicts[p.twin_id].converged]
        for pair in bad[:20]:
            v = verdicts[pair.twin_id]
            log(f"NOT CONVERGED {pair.tracker.kind} {pair.key}: {v}")
        failed = (bad or any(r["duplicates"] or r["lost"] or r["loops"] for r in rows)
                  or growth["outbox rows"] or self.webhook_errors)
        report = "\n".join([
            f"Sync soak, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {platform.system()}; "
            f"{self.options.seconds} s of edits, seed {self.options.seed}; "
            f"outage: {self.options.outage}, worker killed once",
            table(rows),
            f"total edits {total_edits}; edits refused by a side {self.edit_errors}; "
            f"webhook deliveries refused {self.webhook_errors}; after quiet, in {2 * world.POLL_SECONDS + 3} s: "
            + ", ".join(f"{v} new {k}" for k, v in growth.items()),
            f"whole run {time.monotonic() - started:.0f} s; worker log {self.worker.log}",
            "RESULT: " + ("FAIL" if failed else "PASS"),
        ])
        print(report, flush=True)
        return 1 if failed else 0
