"""`manage.py bench_throughput` (`make bench-throughput`): requests a second at 8 clients, with wrk."""

import os
import signal
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tools.bench import report, server, throughput
from tools.bench.targets import (
    CONTACT,
    PERSONAS,
    Clients,
    Target,
    build_targets,
    give_the_engineer_a_queue,
    webhook_target,
)
from tools.scale.catalog import already_seeded

# The goals at 1,000,000 tickets on a 2-core machine: requests a second with 8 clients,
# and p95 in milliseconds with one client at a time.
GOAL_CLIENTS = 8
GOALS = {"ticket list, first page": 300.0, "webhook ingest (signed, queued)": 500.0}
SEQUENTIAL_GOALS_MS = {
    "ticket list, first page": 30.0, "dashboard (agent)": 30.0, "ticket page": 20.0, "triage queue (my teams)": 30.0,
}


def requests_for(target: Target, clients: Clients, *, bodies: int) -> list[throughput.Request]:
    """What wrk sends for `target`: its paths with the persona's cookie or token, or `bodies` deliveries."""
    headers = {}
    if target.api and target.persona in clients.tokens:
        headers["Authorization"] = f"Token {clients.tokens[target.persona]}"
    elif target.persona in clients.cookies:
        jar = clients.cookies[target.persona]
        headers["Cookie"] = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    if target.body is None:
        return [throughput.Request(target.method, path, headers) for path in target.paths]
    sent = []
    for n in range(bodies):
        body, extra = target.body(n)
        sent.append(throughput.Request(target.method, target.paths[n % len(target.paths)], {**headers, **extra}, body))
    return sent


class Command(BaseCommand):
    help = "Requests a second the server answers with 8 clients (wrk), and where each request's CPU went."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=GOAL_CLIENTS,
                            help="Concurrent connections (1 measures the one-client goals).")
        parser.add_argument("--seconds", type=float, default=20.0, help="Seconds per target.")
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn workers.")
        parser.add_argument("--port", type=int, default=8766)
        parser.add_argument("--bodies", type=int, default=40_000,
                            help="Distinct webhook deliveries written for a run (none is sent twice).")
        parser.add_argument("--only", default="",
                            help="Targets whose name contains this text (by default, those with a goal "
                            "at this many clients).")
        parser.add_argument("--output", default="bench-throughput.txt")

    def handle(self, *args, **opts):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        if not settings.IS_POSTGRES or not os.environ.get("DATABASE_URL"):
            raise CommandError("The bench runs on PostgreSQL: set DATABASE_URL (make bench-throughput does).")
        if not already_seeded():
            raise CommandError("The bench database is not seeded yet: run make bench first.")
        try:
            throughput.wrk_path()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        give_the_engineer_a_queue()
        sequential = opts["clients"] == 1
        goals = SEQUENTIAL_GOALS_MS if sequential else GOALS if opts["clients"] == GOAL_CLIENTS else {}
        chosen = [
            t for t in build_targets(webhook_target)
            if not t.note and (opts["only"].lower() in t.name.lower() if opts["only"] else t.name in goals)
        ]
        env = server.server_environment(os.environ["DATABASE_URL"])
        server.collect_static(env)
        connection.close()
        runs = []
        workdir = Path(tempfile.mkdtemp(prefix="handoff-throughput-"))
        with server.gunicorn(env, port=opts["port"], workers=opts["workers"], log=workdir / "server.log") as base:
            clients = Clients(base)
            for persona in (*PERSONAS, CONTACT):
                clients.login(persona)
            self.stdout.write(throughput.table([]))
            for target in chosen:
                sent = requests_for(target, clients, bodies=opts["bodies"])
                # A short run first, so each worker has its connections and plans when measuring starts.
                throughput.measure(target.name, base, sent[-200:], clients=opts["clients"], seconds=2,
                                   goal_per_second=None, workdir=workdir)
                run = throughput.measure(
                    target.name, base, sent[:-200] or sent, clients=opts["clients"], seconds=opts["seconds"],
                    goal_per_second=None if sequential else goals.get(target.name),
                    goal_p95_ms=goals.get(target.name) if sequential else None, workdir=workdir,
                )
                runs.append(run)
                self.stdout.write(throughput.table([run]).splitlines()[-1])
        server.drop_queued(env)
        text = "\n".join([
            "Handoff throughput (wrk)",
            f"Machine: {report.machine()}",
            f"Server: gunicorn, {opts['workers']} sync workers, DEBUG off; PostgreSQL and wrk on the same machine",
            f"Load: {opts['clients']} connections for {opts['seconds']:.0f} s per target; "
            "CPU is per request, by process group, over the run",
            "",
            throughput.table(runs),
            "",
        ])
        Path(opts["output"]).write_text(text)
        self.stdout.write(f"\nWritten to {opts['output']}.")
