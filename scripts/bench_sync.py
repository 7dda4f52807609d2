"""Benchmark of the tracker sync: portal change -> Redmine latency, and outbox throughput.

Run by `make bench-sync` (which starts Redmine first). Uses PostgreSQL, Redis and
a real `celery -A handoff worker` subprocess, like production:

  latency     200 shared comments made one after another; for each, the time
              from the commit of the change to Redmine's answer to the push
              (outbox row created_at -> done_at). p50 and p95.
  throughput  500 comment rows over 10 defects committed at once; rows pushed
              per second until the outbox is empty.

Environment: REDMINE_URL and REDMINE_API_KEY (from scripts/redmine/start.sh),
DATABASE_URL (default a `handoff_bench` PostgreSQL database, created and
migrated here), CELERY_BROKER_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
os.environ["CELERY_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
os.environ["HANDOFF_ALLOW_INTERNAL_URLS"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")

LATENCY_CHANGES = int(os.environ.get("BENCH_LATENCY_CHANGES", "200"))
THROUGHPUT_ROWS = int(os.environ.get("BENCH_THROUGHPUT_ROWS", "500"))


def ensure_database() -> None:
    from urllib.parse import urlparse

    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPUs ({model}), {system}, Python {platform.python_version()}"


def start_worker(log: Path) -> subprocess.Popen:
    out = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "handoff", "worker", "-B", "-s", str(log.with_suffix(".beat")),
         "-Q", os.environ["CELERY_QUEUE"],
         "-c", "2", "-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )
    time.sleep(4)
    assert process.poll() is None, log.read_text()
    return process


def main() -> None:
    if not (os.environ.get("REDMINE_URL") and os.environ.get("REDMINE_API_KEY")):
        sys.exit("REDMINE_URL and REDMINE_API_KEY are needed: set -a; eval \"$(scripts/redmine/start.sh)\"")
    ensure_database()
    import django

    django.setup()
    import requests
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from core.models import Channel
    from core.roles import ENGINEERS
    from defects.models import Team
    from defects.services.comments import comment_add
    from defects.severity import Impact, Urgency
    from sync.models import Connection, ExternalIssue, OutboxItem
    from sync.outbox import outbox_enqueue
    from tickets.models import Customer, Product
    from tickets.services.escalation import ticket_escalate
    from tickets.services.tickets import ticket_create

    url, key = os.environ["REDMINE_URL"].rstrip("/"), os.environ["REDMINE_API_KEY"]
    rm = requests.Session()
    rm.headers["X-Redmine-API-Key"] = key
    project = f"bench{uuid.uuid4().hex[:8]}"
    fields = rm.get(f"{url}/custom_fields.json", timeout=15).json()["custom_fields"]
    trackers = rm.get(f"{url}/trackers.json", timeout=15).json()["trackers"]
    rm.post(f"{url}/projects.json", timeout=15, json={"project": {
        "name": project, "identifier": project, "tracker_ids": [t["id"] for t in trackers],
        "enabled_module_names": ["issue_tracking"], "issue_custom_field_ids": [f["id"] for f in fields],
    }}).raise_for_status()

    run = uuid.uuid4().hex[:6]
    engineer = User.objects.create_user(f"bench-eng-{run}", password=None)
    engineer.groups.add(Group.objects.get_or_create(name=ENGINEERS)[0])
    connection = Connection.objects.create(
        name=f"bench-{run}", kind="redmine", base_url=url, token=key, project=project
    )
    team = Team.objects.create(name=f"Bench team {run}", connection=connection)
    product = Product.objects.create(name=f"Bench product {run}", code=f"b{run}", default_team=team)
    customer = Customer.objects.create(name=f"Bench customer {run}")

    def new_defect(n: int):
        ticket = ticket_create(
            actor=engineer, channel=Channel.API, subject=f"Bench {n}", customer=customer, product=product
        )
        return ticket_escalate(ticket=ticket, actor=engineer, channel=Channel.API, title=f"Bench defect {n}",
                               impact=Impact.SINGLE_USER, urgency=Urgency.DEGRADED)

    def wait_empty(query, timeout=600.0):
        deadline = time.monotonic() + timeout
        while query.exclude(status="done").exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"outbox not drained after {timeout}s: {query.exclude(status='done').count()} left")
            time.sleep(0.01)

    log = Path(tempfile.mkdtemp(prefix="bench-sync-")) / "worker.log"  # kept for a look on failure
    worker = start_worker(log)
    try:
        defect = new_defect(0)
        wait_empty(OutboxItem.objects.filter(defect=defect))
        assert ExternalIssue.objects.filter(defect=defect).exists(), log.read_text()[-2000:]

        # Latency: one change at a time, each timed from its commit to Redmine's answer.
        latencies = []
        for n in range(LATENCY_CHANGES):
            comment = comment_add(actor=engineer, channel=Channel.API, body=f"Latency {n}", visibility="shared",
                                  defect=defect)
            rows = OutboxItem.objects.filter(defect=defect, payload__comment_id=comment.pk)
            wait_empty(rows)
            row = rows.get()
            latencies.append((row.done_at - row.created_at).total_seconds() * 1000)
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[int(round(0.95 * len(latencies))) - 1]

        # Throughput: many rows at once, over several defects.
        defects = [new_defect(n) for n in range(1, 11)]
        for d in defects:
            wait_empty(OutboxItem.objects.filter(defect=d))
        # Rows written straight to the outbox in one transaction (as a burst of
        # changes would leave them), so the figure is the engine's and Redmine's,
        # not the cost of making 500 comments.
        started = time.monotonic()
        with transaction.atomic():
            for n in range(THROUGHPUT_ROWS):
                outbox_enqueue(defect=defects[n % len(defects)], kind="comment", channel=Channel.API, payload={
                    "comment_id": 10_000_000 + n, "body": f"Throughput {n}", "author": "bench"})
        written = time.monotonic() - started
        wait_empty(OutboxItem.objects.filter(defect__in=defects))
        elapsed = time.monotonic() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    report = "\n".join([
        f"Sync benchmark, {time.strftime('%Y-%m-%d')}",
        f"Machine: {machine()}",
        "Redmine 5.0 (Debian packages, SQLite, thin: one request at a time) on the same machine;",
        "PostgreSQL, Redis, one Celery worker (2 processes).",
        f"Latency, portal change committed -> Redmine answered the push, over {LATENCY_CHANGES} shared comments:",
        f"  p50 {p50:.0f} ms, p95 {p95:.0f} ms (min {latencies[0]:.0f}, max {latencies[-1]:.0f})",
        f"Throughput: {THROUGHPUT_ROWS} outbox rows (comments) over 10 defects, committed at once",
        f"  in {written:.1f} s, all pushed {elapsed:.1f} s after the start: {THROUGHPUT_ROWS / elapsed:.1f} rows/s",
    ])
    print(report)
    (ROOT / "bench-results-sync.txt").write_text(report + "\n")


if __name__ == "__main__":
    main()
