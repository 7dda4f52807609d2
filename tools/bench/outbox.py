"""python -m tools.bench.outbox [--changes 10000] [--defects 100] [--workers 2]

The outbox under a burst: changes committed at once to defects twinned in Jira, pushed
by separate Celery worker processes (one process each, as on separate machines) to the
local Jira server of tests/fakes over loopback HTTP. Measures from the commit to the
last row done (and from the first write), then checks that each defect's comments reached Jira once each and in
the order they were made. Its own database (handoff_bench_outbox, made afresh), Redis
as the broker. Writes bench-results-outbox.txt; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.soak.world import ROOT, Worker, prepare_environment  # noqa: E402


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.outbox", description=__doc__.split("\n\n")[1])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--defects", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one Celery process each)")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_OUTBOX_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench_outbox"))
    parser.add_argument("--output", default="bench-results-outbox.txt")
    return parser.parse_args(argv)


class OneProcessWorker(Worker):
    """A worker of one process and no beat: the bench's workers stand for separate machines."""

    def start(self) -> None:
        self.starts += 1
        out = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "handoff", "worker", "-Q", self.queue,
             "-n", f"{self.log.stem}@%h", "-c", "1", "-l", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_drained(rows, *, timeout: float) -> None:
    from sync.models import OutboxItem

    deadline = time.monotonic() + timeout
    # Asked through the indexes of the rows still to go, so the bench's own watching stays
    # cheap however many rows are done.
    while any(rows.filter(status=status).exists() for status in (OutboxItem.Status.PENDING, OutboxItem.Status.CLAIMED)):
        if rows.filter(status=OutboxItem.Status.FAILED).exists():
            raise SystemExit(f"a push failed: {rows.filter(status='failed').values_list('last_error', flat=True)[0]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"not drained after {timeout:.0f} s: {rows.exclude(status='done').count()} rows left")
        time.sleep(0.2)


def main(options: argparse.Namespace) -> int:
    os.environ["HANDOFF_ALLOW_INTERNAL_URLS"] = "1"
    prepare_environment(options.database_url)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from core.models import Channel
    from core.roles import ENGINEERS
    from defects.models import Team
    from defects.severity import Impact, Urgency
    from sync.models import Connection, ExternalIssue, OutboxItem
    from sync.outbox import outbox_enqueue
    from tests.fakes.jira_server import FakeJira
    from tickets.models import Customer, Product
    from tickets.services.escalation import ticket_escalate
    from tickets.services.tickets import ticket_create
    from tools.bench.report import machine

    jira = FakeJira().start()
    logs = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    workers = [OneProcessWorker(queue=os.environ["CELERY_QUEUE"], log=logs / f"worker{n + 1}.log")
               for n in range(options.workers)]
    for worker in workers:
        worker.start()
    try:
        engineer = User.objects.create_user("bench-engineer", password=None)
        engineer.groups.add(Group.objects.get_or_create(name=ENGINEERS)[0])
        connection = Connection.objects.create(
            name="Bench Jira", kind="jira", base_url=jira.base_url, token="bot@example.com:jira-api-token",
            project="HD",
        )
        team = Team.objects.create(name="Bench team", connection=connection)
        product = Product.objects.create(name="Bench product", code="bench", default_team=team)
        customer = Customer.objects.create(name="Bench customer")
        defects = []
        for n in range(options.defects):
            ticket = ticket_create(actor=engineer, channel=Channel.API, subject=f"Bench {n}", customer=customer,
                                   product=product)
            defects.append(ticket_escalate(ticket=ticket, actor=engineer, channel=Channel.API,
                                           title=f"Bench defect {n}", impact=Impact.SINGLE_USER,
                                           urgency=Urgency.DEGRADED))
        wait_drained(OutboxItem.objects.all(), timeout=300)
        twins = dict(ExternalIssue.objects.values_list("defect_id", "external_id"))
        assert len(twins) == len(defects), f"{len(twins)} twins for {len(defects)} defects; logs in {logs}"
        first = OutboxItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        # The burst: every change written to the outbox in one transaction, as a bulk edit
        # leaves them; change n goes to defect n mod D, so each defect gets its own sequence.
        started = time.monotonic()
        with transaction.atomic():
            for n in range(options.changes):
                outbox_enqueue(defect=defects[n % len(defects)], kind="comment", channel=Channel.API, payload={
                    "comment_id": 10_000_000 + n, "body": f"Bench change {n}", "author": "bench"})
        committed = time.monotonic() - started
        burst = OutboxItem.objects.filter(pk__gt=first)
        wait_drained(burst, timeout=1800)
        elapsed = time.monotonic() - started
        waits = sorted(
            (done - created).total_seconds() for created, done in burst.values_list("created_at", "done_at"))
    finally:
        for worker in workers:
            worker.kill()
        jira.stop()

    # Each defect's changes, as Jira holds them: once each, in the order they were made.
    problems = []
    for defect in defects:
        issue = jira.issue(twins[defect.pk])
        seen = [int(m.group(1)) for c in issue["comments"] if (m := re.search(r"Bench change (\d+)", c["body"]))]
        wanted = list(range(defects.index(defect), options.changes, len(defects)))
        if seen != wanted:
            problems.append(f"{defect.key}: {len(seen)} comments, {len(wanted)} made, in order: {seen == sorted(seen)}")

    report = "\n".join([
        f"Outbox bench, {time.strftime('%Y-%m-%d')}",
        f"Machine: {machine()}",
        f"{options.workers} Celery worker processes (one process each), PostgreSQL and Redis on the same machine;",
        "the local Jira server (tests/fakes/jira_server.py) in the bench's own process, over loopback HTTP.",
        f"{options.changes} comment changes over {options.defects} Jira-twinned defects, committed at once "
        f"in {committed:.1f} s",
        f"  all pushed {elapsed - committed:.1f} s after the commit: {options.changes / (elapsed - committed):.0f} "
        f"changes/s ({elapsed:.1f} s from the first write)",
        f"  wait per change from its commit to Jira's answer: p50 {statistics.median(waits):.1f} s, "
        f"max {waits[-1]:.1f} s",
        f"  order per defect: {'kept, each change once' if not problems else f'{len(problems)} defects wrong'}",
        *(f"    {p}" for p in problems[:10]),
    ])
    print(report)
    (ROOT / options.output).write_text(report + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(parse(sys.argv[1:])))
