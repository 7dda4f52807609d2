"""Two web nodes and two workers on one PostgreSQL and one Redis, as behind a load balancer.

Two gunicorn servers on two ports (two processes each) and two Celery workers,
each with its own beat, run against a database of their own (handoff_multinode)
and a Redis database of their own, with CACHE_URL unset so the caches default to
the broker's Redis. A "browser" here is one cookie jar sent to either port, as a
load balancer would; each carries its own client address (X-Forwarded-For, one
trusted proxy) so a lockout test does not lock the others out.

Without PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL) these tests skip,
except in CI (CI=true or HANDOFF_REQUIRE_MULTINODE=1), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
import redis
import requests
from psycopg import sql

from handoff.env import env_bool
from tests.factories import ESCALATION_FORM, PNG
from tests.fakes.jira_server import FakeJira
from tools.bench.server import gunicorn

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "handoff_multinode"
REDIS_DB = 12
PASSWORD = "multinode-password-1"
FAILURE_LIMIT = 3
RELAY_SECONDS = 2
LOG = b"ERROR pdf render timeout after 30s\n" * 8

SEED = """
import json
from django.contrib.auth.models import Group, User
from core.roles import AGENTS, ENGINEERS, MANAGERS, grant_manager_admin_permissions
from defects.models import Team
from sync.models import Connection
from tickets.models import Customer, Product

grant_manager_admin_permissions()
def user(name, group, staff=False):
    made = User.objects.create_user(name, f"{name}@example.com", PASSWORD, is_staff=staff)
    made.groups.add(Group.objects.get(name=group))
for name in ("agent", "victim", "bystander", "leaver"):
    user(name, AGENTS)
user("engineer", ENGINEERS)
user("manager", MANAGERS, staff=True)
connection = Connection.objects.create(
    name="Jira", kind="jira", base_url=JIRA, token="bot@example.com:jira-api-token", project="HD")
team = Team.objects.create(name="Billing engineering", connection=connection)
team.members.add(User.objects.get(username="engineer"))  # told of each defect routed to it
product = Product.objects.create(name="Billing", code="bill", default_team=team)
customer = Customer.objects.create(name="Acme Corp")
print(json.dumps({"customer": customer.pk, "product": product.pk}))
"""


def _required() -> bool:
    return env_bool("CI") or env_bool("HANDOFF_REQUIRE_MULTINODE")


def need(condition: bool, why: str) -> None:
    if condition:
        return
    if _required():
        pytest.fail(f"{why} (required in CI)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _with_path(url: str, path: str) -> str:
    return urlunparse(urlparse(url)._replace(path=path))


def _admin_connection(database_url: str) -> psycopg.Connection:
    return psycopg.connect(_with_path(database_url, "/postgres"), autocommit=True, connect_timeout=5)


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{what} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


@dataclass
class Worker:
    name: str
    log: Path
    process: subprocess.Popen | None = None

    def start(self, env: dict[str, str], queue: str) -> None:
        out = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "handoff", "worker", "-B",
             "-s", str(self.log.with_suffix(".schedule")), "-Q", queue, "-n", f"{self.name}-{queue}@%h",
             "-c", "1", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while "ready." not in self.log.read_text():
            assert self.process.poll() is None, f"{self.name} exited:\n{self.log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{self.name} not ready:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Cluster:
    nodes: list[str]
    workers: list[Worker]
    redis: redis.Redis
    queue: str
    ids: dict[str, int]
    jira: FakeJira
    beats_started: float
    env: dict[str, str]
    prefix: str = field(init=False)

    def __post_init__(self):
        # The default cache's keys: KEY_PREFIX (the queue's name), then Django's version.
        self.prefix = f"handoff:{self.queue}:1:"

    def cached(self, pattern: str) -> list[str]:
        return [key.decode() for key in self.redis.scan_iter(match=f"{self.prefix}{pattern}")]


class Browser:
    """One cookie jar, sent to either node as a load balancer would, from one client address."""

    def __init__(self, address: str):
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address

    def get(self, node: str, path: str) -> requests.Response:
        return self.session.get(f"{node}{path}", allow_redirects=False, timeout=30)

    def post(self, node: str, path: str, **kwargs) -> requests.Response:
        if "csrftoken" not in self.session.cookies:
            self.get(node, "/accounts/login/")
        headers = {"X-CSRFToken": self.session.cookies["csrftoken"]}
        return self.session.post(f"{node}{path}", headers=headers, allow_redirects=False, timeout=30, **kwargs)

    def sign_in(self, node: str, username: str, password: str = PASSWORD) -> requests.Response:
        return self.post(node, "/accounts/login/", data={"username": username, "password": password})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    database_server = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    need(urlparse(database_server).scheme in {"postgres", "postgresql"}, "the multi-node test needs DATABASE_URL "
         "(PostgreSQL)")
    need(urlparse(broker).scheme in {"redis", "rediss"}, "the multi-node test needs CELERY_BROKER_URL (Redis)")
    database_url = _with_path(database_server, f"/{DATABASE}")
    redis_url = _with_path(broker, f"/{REDIS_DB}")
    store = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        store.ping()
        admin = _admin_connection(database_url)
    except (redis.RedisError, psycopg.Error) as exc:
        need(False, f"PostgreSQL or Redis is not reachable: {type(exc).__name__}")
    name = sql.Identifier(DATABASE)
    with admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))

    tmp = tmp_path_factory.mktemp("multinode")
    jira = FakeJira().start()
    queue = f"multinode-{uuid.uuid4().hex[:8]}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "HANDOFF_SYNC_CACHE_URL"}},
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_QUEUE": queue,
        "DEBUG": "0",
        # One secret for every node: each must read the others' cookies and tokens.
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "HANDOFF_HTTPS": "0",
        "HANDOFF_TRUSTED_PROXIES": "1",
        "HANDOFF_LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
        # The folder every node shares (a network mount in production).
        "MEDIA_ROOT": str(tmp / "media"),
        "HANDOFF_ALLOW_INTERNAL_URLS": "1",
        "HANDOFF_SYNC_RELAY_SECONDS": str(RELAY_SECONDS),
        "HANDOFF_SYNC_POLL_SECONDS": "3600",
        "HANDOFF_GIT_SCAN_SECONDS": "3600",
        "HANDOFF_SYNC_BACKOFF_SECONDS": "1",
        "HANDOFF_SYNC_BACKOFF_MAX": "2",
        "LOG_LEVEL": "INFO",
    }
    stack = ExitStack()
    workers = [Worker("one", tmp / "worker-one.log"), Worker("two", tmp / "worker-two.log")]
    try:
        # Static files (DEBUG is off) are collected while the database is migrated.
        static = subprocess.Popen([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _run(["manage.py", "migrate", "--noinput", "-v0"], env, "migrate")
        assert static.wait(timeout=600) == 0, f"collectstatic failed:\n{static.stderr.read()[-3000:]}"
        seeded = _run(["manage.py", "shell", "-c", f"PASSWORD = {PASSWORD!r}; JIRA = {jira.base_url!r}\n{SEED}"],
                      env, "seeding")
        ids = json.loads(seeded.strip().splitlines()[-1])
        beats_started = time.time()
        for worker in workers:
            worker.start(env, queue)
        nodes = [
            stack.enter_context(gunicorn(env, port=_free_port(), workers=2, log=tmp / f"web-{n}.log"))
            for n in ("a", "b")
        ]
        for worker in workers:
            worker.wait_ready()
        yield Cluster(nodes=nodes, workers=workers, redis=store, queue=queue, ids=ids, jira=jira,
                      beats_started=beats_started, env=env)
    finally:
        for worker in workers:
            worker.stop()
        stack.close()
        jira.stop()
        for key in store.scan_iter(match=f"handoff:{queue}:*"):
            store.delete(key)
        store.delete(queue, f"_kombu.binding.{queue}")
        with _admin_connection(database_url) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def escalate(browser: Browser, node: str, cluster: Cluster, subject: str, **files) -> dict:
    """A ticket created and escalated through `node`, with `files` attached; the defect's JSON."""
    created = browser.post(node, "/api/tickets/", json={
        "subject": subject, "customer": cluster.ids["customer"], "product": cluster.ids["product"],
    })
    assert created.status_code == 201, created.text
    escalated = browser.post(
        node, f"/api/tickets/{created.json()['id']}/escalate/", data={**ESCALATION_FORM, "title": subject},
        files=[("attachments", (name.replace("_", "."), data)) for name, data in files.items()],
    )
    assert escalated.status_code == 201, escalated.text
    return {**escalated.json(), "ticket": created.json()["id"]}


def charts(browser: Browser, node: str) -> dict:
    page = browser.get(node, "/releases/reports/")
    assert page.status_code == 200, page.status_code
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page.text, re.S)
    return json.loads(found.group(1))


def open_defects(figures: dict) -> int:
    return sum(sum(d["data"]) for d in figures["open_by_severity_and_team"]["datasets"])


def test_a_sign_in_through_one_node_holds_on_the_other_and_a_sign_out_through_it_ends_it_on_both(cluster):
    a, b = cluster.nodes
    browser = Browser("203.0.113.10")

    assert browser.sign_in(a, "agent").status_code == 302
    assert browser.get(b, "/tickets/").status_code == 200
    assert browser.get(a, "/tickets/").status_code == 200
    # The session is read from the shared cache, not only from the database.
    assert cluster.cached(f"*{browser.session.cookies['sessionid']}")

    assert browser.post(b, "/accounts/logout/").status_code == 302
    for node in (a, b, a, b):  # both processes of each node
        answer = browser.get(node, "/tickets/")
        assert answer.status_code == 302 and "/accounts/login/" in answer.headers["Location"]


def test_a_ticket_and_its_attachment_made_through_one_node_are_seen_at_once_on_the_other(cluster):
    a, b = cluster.nodes
    browser = Browser("203.0.113.11")
    browser.sign_in(a, "agent")

    defect = escalate(browser, b, cluster, "Export fails on node B", export_log=LOG, screen_png=PNG)

    ticket = browser.get(a, f"/api/tickets/{defect['ticket']}/")
    assert ticket.status_code == 200 and ticket.json()["status"] == "awaiting_engineering"
    attachments = browser.get(a, f"/api/defects/{defect['id']}/").json()["attachments"]
    for node in (a, b):
        downloads = {item["name"]: browser.get(node, f"/defects/attachments/{item['id']}/").content
                     for item in attachments}
        assert downloads == {"export.log": LOG, "screen.png": PNG}


def test_work_queued_through_either_node_is_done_by_the_workers_and_a_tracker_wait_is_shared(cluster):
    a, b = cluster.nodes
    browser = Browser("203.0.113.12")
    browser.sign_in(b, "agent")
    # Jira asks for a pause on the first create: the worker that hears it records the wait
    # where every worker reads it (the sync cache, the broker's Redis by default).
    cluster.jira.fail_next(429, headers={"Retry-After": "3"}, method="POST", path_contains="/rest/api/2/issue")

    first = escalate(browser, a, cluster, "Tracker sync from node A", export_log=LOG)
    second = escalate(browser, b, cluster, "Tracker sync from node B")

    assert wait_for(lambda: [k for k in cluster.redis.scan_iter(match="handoff-sync:*:until")], timeout=30,
                    what="the tracker's wait in the shared cache")
    twins = {}
    for defect, node in ((first, b), (second, a)):
        twins[defect["key"]] = wait_for(
            lambda d=defect, n=node: browser.get(n, f"/api/defects/{d['id']}/").json()["external_issues"],
            timeout=60, what=f"{defect['key']}'s issue in Jira",
        )
    issues = [cluster.jira.issue(twin[0]["key"]) for twin in twins.values()]
    assert ["node A" in issues[0]["summary"], "node B" in issues[1]["summary"]] == [True, True]
    wait_for(lambda: issues[0]["attachments"], timeout=60, what="the attachment in Jira")
    assert issues[0]["attachments"][0]["data"] == LOG


def test_the_manager_charts_are_cached_once_for_all_nodes_and_follow_a_change_made_on_either(cluster):
    a, b = cluster.nodes
    manager, agent = Browser("203.0.113.13"), Browser("203.0.113.14")
    manager.sign_in(a, "manager")
    agent.sign_in(b, "agent")

    before = charts(manager, a)
    assert cluster.cached("handoff:manager-charts:*"), "the charts are not in the shared cache"
    assert charts(manager, b) == before

    escalate(agent, b, cluster, "Charts follow changes")

    assert open_defects(charts(manager, a)) == open_defects(before) + 1
    assert open_defects(charts(manager, b)) == open_defects(before) + 1


def test_a_dashboard_inbox_kept_for_all_nodes_shows_a_message_that_arrives_through_either(cluster):
    a, b = cluster.nodes
    engineer, agent = Browser("203.0.113.15"), Browser("203.0.113.16")
    engineer.sign_in(a, "engineer")
    agent.sign_in(b, "agent")
    escalate(agent, b, cluster, "Inbox first news")

    page = engineer.get(a, "/")
    assert page.status_code == 200 and "Inbox first news" in page.text
    assert cluster.cached("handoff:inbox:*"), "the inbox is not in the shared cache"

    escalate(agent, a, cluster, "Inbox second news")
    for node in (a, b, a, b):  # both processes of each node
        page = engineer.get(node, "/")
        assert "Inbox first news" in page.text and "Inbox second news" in page.text


def test_a_product_added_or_an_account_closed_elsewhere_counts_on_every_node_at_once(cluster):
    # Each process keeps the products, the assignable users and the signed-in user
    # (core.reference) until a change draws a new generation in the shared cache.
    a, b = cluster.nodes
    manager, agent = Browser("203.0.113.17"), Browser("203.0.113.18")
    manager.sign_in(a, "manager")
    agent.sign_in(b, "leaver")
    for node in (a, b, a, b):  # both processes of each node keep what they read
        assert "Payroll" not in agent.get(node, "/tickets/").text

    added = manager.post(a, "/api/products/", json={"name": "Payroll", "code": "pay"})
    assert added.status_code == 201, added.text
    for node in (a, b, a, b):
        assert f'<option value="{added.json()["id"]}">Payroll</option>' in agent.get(node, "/tickets/").text

    # Closed by another process (an administrator's shell): signed out on both nodes at once.
    _run(["manage.py", "shell", "-c",
          "from django.contrib.auth.models import User\n"
          "closed = User.objects.get(username='leaver'); closed.is_active = False; closed.save()"],
         cluster.env, "closing the account")
    for node in (a, b, a, b):
        answer = agent.get(node, "/tickets/")
        assert answer.status_code == 302 and "/accounts/login/" in answer.headers["Location"]


def test_a_lockout_made_through_one_node_refuses_sign_in_on_the_other(cluster):
    a, b = cluster.nodes
    attacker = Browser("203.0.113.66")

    answers = [attacker.sign_in(a, "victim", "not-the-password").status_code for _ in range(FAILURE_LIMIT)]

    assert answers[-1] == 429
    # The account is locked, from any address, on the other node too...
    owner = Browser("203.0.113.67")
    refused = owner.sign_in(b, "victim")
    assert refused.status_code == 429 and "locked" in refused.text
    # ...and so is the attacker's address, whatever the account.
    assert attacker.sign_in(b, "bystander").status_code == 429
    assert Browser("203.0.113.68").sign_in(b, "bystander").status_code == 302


def test_periodic_work_is_sent_once_a_period_though_two_beats_run(cluster):
    # Long enough for several periods with both beats up.
    time.sleep(max(0.0, cluster.beats_started + 8 * RELAY_SECONDS - time.time()))
    logs = [worker.log.read_text() for worker in cluster.workers]
    elapsed_slots = int(time.time() // RELAY_SECONDS) - int(cluster.beats_started // RELAY_SECONDS) + 1

    sent = [log.count("Sending due task sync-relay") for log in logs]
    skipped = [log.count("Skipping sync-relay") for log in logs]
    received = sum(len(re.findall(r"Task sync\.relay\[[^\]]+\] received", log)) for log in logs)

    assert all(sent[i] + skipped[i] for i in range(2)), f"a beat did not run: sent {sent}, skipped {skipped}"
    assert sum(skipped) >= 2, f"the beats never met: sent {sent}, skipped {skipped}"
    assert 2 <= sum(sent) <= elapsed_slots, f"sent {sent} in {elapsed_slots} periods"
    assert received <= sum(sent)
