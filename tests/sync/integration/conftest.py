"""A real Redmine (started by scripts/redmine/start.sh) and a real Celery worker.

Without REDMINE_URL these tests skip, except in CI (CI=true or
HANDOFF_REQUIRE_REDMINE=1), where a missing Redmine is a failure. The worker
runs as a subprocess on the Redis broker against the live test database, so
it needs PostgreSQL and CELERY_BROKER_URL; each test gets its own queue and
its own Redmine project, so runs never see each other's work.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection as db_connection

from handoff.env import env_bool
from sync.models import Connection
from tests.factories import connect

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "scripts" / "redmine"


def _required() -> bool:
    return env_bool("CI") or env_bool("HANDOFF_REQUIRE_REDMINE")


def need(condition: bool, why: str) -> None:
    if condition:
        return
    if _required():
        pytest.fail(f"{why} (required in CI)")
    pytest.skip(why)


@dataclass
class RedmineServer:
    url: str
    key: str
    env: dict = field(default_factory=lambda: dict(os.environ))
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self):
        self.session.headers["X-Redmine-API-Key"] = self.key

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, f"{self.url}{path}", timeout=15, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response

    def issue(self, issue_id: str | int) -> dict:
        return self.call("GET", f"/issues/{issue_id}.json", params={"include": "journals"}).json()["issue"]

    def notes(self, issue_id: str | int) -> list[str]:
        return [j["notes"] for j in self.issue(issue_id)["journals"] if j.get("notes")]

    def status_id(self, name: str) -> int:
        statuses = self.call("GET", "/issue_statuses.json").json()["issue_statuses"]
        return next(s["id"] for s in statuses if s["name"] == name)

    def stop(self) -> None:
        self._script("stop.sh")

    def start(self) -> None:
        self._script("start.sh")

    def _script(self, name: str) -> None:
        done = subprocess.run([str(SCRIPTS / name)], capture_output=True, text=True, timeout=300, env=self.env)
        assert done.returncode == 0, f"{name} failed:\n{done.stderr[:1500]}"


@pytest.fixture(autouse=True)
def _role_groups(transactional_db) -> None:
    # The worker must see committed rows, so these tests are transactional; an
    # earlier transactional test flushes the groups the migration created.
    from django.contrib.auth.models import Group

    from core.roles import ALL_ROLES

    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


@pytest.fixture(scope="session")
def redmine() -> RedmineServer:
    url, key = os.environ.get("REDMINE_URL", ""), os.environ.get("REDMINE_API_KEY", "")
    need(bool(url and key), "REDMINE_URL and REDMINE_API_KEY are not set (scripts/redmine/start.sh prints them)")
    return RedmineServer(url=url.rstrip("/"), key=key)


@pytest.fixture
def private_redmine(redmine, tmp_path) -> RedmineServer:
    """A second Redmine server on its own port over the same data, for a test that stops it.

    Stopping the shared server would break whatever else is using it at the time.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ, "REDMINE_PORT": str(port), "REDMINE_STATE_DIR": str(tmp_path / "redmine"),
        "REDMINE_FIXED_API_KEY": redmine.key,
    }
    server = RedmineServer(url=f"http://127.0.0.1:{port}", key=redmine.key, env=env)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redmine_project(redmine) -> str:
    """A fresh project with versions 2.4.0 and 2.5.0 and the key custom field, for this test only."""
    identifier = f"t{uuid.uuid4().hex[:12]}"
    fields = redmine.call("GET", "/custom_fields.json").json()["custom_fields"]
    trackers = redmine.call("GET", "/trackers.json").json()["trackers"]
    redmine.call("POST", "/projects.json", json={"project": {
        "name": identifier, "identifier": identifier, "is_public": True,
        "tracker_ids": [t["id"] for t in trackers], "enabled_module_names": ["issue_tracking"],
        "issue_custom_field_ids": [f["id"] for f in fields if f["customized_type"] == "issue"],
    }})
    for version in ("2.4.0", "2.5.0"):
        redmine.call("POST", f"/projects/{identifier}/versions.json", json={"version": {"name": version}})
    return identifier


@pytest.fixture
def redmine_connection(redmine, redmine_project, team) -> Connection:
    return connect(
        team, name="Redmine", kind="redmine", base_url=redmine.url, token=redmine.key, project=redmine_project,
    )


def _database_url() -> str:
    s = db_connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Worker:
    queue: str
    env: dict
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        beat_file = self.log.with_suffix(".beat")
        self.log.write_text("")
        out = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "handoff", "worker", "-B", "-s", str(beat_file),
             "-Q", self.queue, "-n", f"{self.queue}@%h", "-c", "2", "-l", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in self.log.read_text():
            assert self.process.poll() is None, f"worker exited:\n{self.log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"worker not ready:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole worker (main process, pool children and beat)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def celery_worker(transactional_db, tmp_path, settings):
    """A real `celery -A handoff worker -B` on the Redis broker, seeing the live test database."""
    need(django_settings.IS_POSTGRES, "the worker tests need PostgreSQL (DATABASE_URL)")
    need(bool(django_settings.CELERY_BROKER_URL), "the worker tests need CELERY_BROKER_URL")
    from handoff.celery import app

    queue = f"sync-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
        "HANDOFF_SYNC_CLAIM_TIMEOUT": "8",
        "HANDOFF_SYNC_BACKOFF_SECONDS": "1",
        "HANDOFF_SYNC_BACKOFF_MAX": "2",
        "HANDOFF_SYNC_RELAY_SECONDS": "1",
        "HANDOFF_SYNC_POLL_SECONDS": "5",
        "HANDOFF_ALLOW_INTERNAL_URLS": "1",
    }
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    before = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker = Worker(queue=queue, env=env, log=tmp_path / "worker.log")
    worker.start()
    try:
        yield worker
    finally:
        worker.kill(signal.SIGTERM)
        app.conf.task_always_eager = before


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.25):
    """Poll until `predicate()` is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)
