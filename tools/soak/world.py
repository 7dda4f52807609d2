"""What the soak runs against: its own PostgreSQL database, a Celery worker on its own queue,
the local Jira, GitHub and GitLab servers, and a real Redmine.

`prepare_environment` runs before Django is set up: settings are read from the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]

# How fast the engine reacts in the soak: polls every 5 s (the smallest the settings take), a
# relay every second, a claim handed out again 8 s after its worker died.
WORKER_ENV = {
    "HANDOFF_SYNC_POLL_SECONDS": "5",
    "HANDOFF_SYNC_RELAY_SECONDS": "1",
    "HANDOFF_SYNC_CLAIM_TIMEOUT": "8",
    "HANDOFF_SYNC_BACKOFF_SECONDS": "1",
    "HANDOFF_SYNC_BACKOFF_MAX": "4",
    "HANDOFF_ALLOW_INTERNAL_URLS": "1",
}
POLL_SECONDS = 5


def prepare_environment(database_url: str) -> str:
    """Create the soak database afresh, point this process at it and at its own queue; returns the queue."""
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"SOAK_DATABASE_URL names an odd database: {name!r}")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    queue = f"soak-{uuid.uuid4().hex[:8]}"
    os.environ.update(WORKER_ENV)
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_QUEUE"] = queue
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
    return queue


class Worker:
    """`celery -A handoff worker -B` on the soak's queue, in its own process group."""

    def __init__(self, *, queue: str, log: Path) -> None:
        self.queue = queue
        self.log = log
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        marker = f"--- worker start {self.starts}\n"
        with self.log.open("a") as out:
            out.write(marker)
        out = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "handoff", "worker", "-B",
             "-s", str(self.log.with_suffix(f".beat{self.starts}")), "-Q", self.queue,
             "-n", f"{self.queue}-{self.starts}@%h", "-c", "2", "-l", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in self.log.read_text().split(marker)[-1]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker's whole process group (main process, pool children and beat)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
