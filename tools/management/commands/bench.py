"""`manage.py bench` (`make bench`): p50, p95 and requests per second at scale, on PostgreSQL."""

import os
import signal
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from defects.models import Defect, TicketDefectLink
from tickets.models import Customer, Ticket
from tools.bench import load, report, server
from tools.bench.targets import (
    CONTACT,
    PERSONAS,
    Clients,
    build_targets,
    give_the_engineer_a_queue,
    webhook_target,
)
from tools.scale.catalog import already_seeded
from tools.scale.seed import seed_scale


class Command(BaseCommand):
    help = (
        "Seed a dedicated PostgreSQL database once (seed_scale), serve the portal with gunicorn "
        "(DEBUG off) and measure the main pages and API endpoints under a few concurrent clients."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200, help="Requests per target.")
        parser.add_argument("--clients", type=int, default=4, help="Concurrent clients.")
        # One per core, plus one: with PostgreSQL and the clients on the same cores, more
        # workers only add switching (on 2 cores, 3 workers beat gunicorn's usual 2n+1 = 5).
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn workers.")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--tickets", type=int, default=200_000, help="Tickets to seed the first time.")
        parser.add_argument("--defects", type=int, default=50_000, help="Defects to seed the first time.")
        parser.add_argument("--budget", type=float, default=45.0,
                            help="Seconds per target after which no new request starts.")
        parser.add_argument("--only", default="", help="Measure only targets whose name contains this text.")
        parser.add_argument("--output", default="bench-results.txt")

    def handle(self, *args, **opts):
        # A stopped bench must not leave its gunicorn behind: SIGTERM unwinds like Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        if not settings.IS_POSTGRES or not os.environ.get("DATABASE_URL"):
            raise CommandError("The bench runs on PostgreSQL: set DATABASE_URL (make bench does).")
        if server.ensure_database():
            self.stdout.write(f"Created database {settings.DATABASES['default']['NAME']}.")
        call_command("migrate", interactive=False, verbosity=0)
        if not already_seeded():
            self.stdout.write(f"Seeding {opts['tickets']} tickets and {opts['defects']} defects (once)...")
            summary = seed_scale(tickets=opts["tickets"], defects=opts["defects"],
                                 log=lambda message: self.stdout.write(f"  {message}"))
            self.stdout.write(f"Seeded in {summary.seconds:.0f} s.")
        give_the_engineer_a_queue()
        data = self._data_summary()
        env = server.server_environment(os.environ["DATABASE_URL"])
        server.collect_static(env)
        connection.close()
        log_file = Path(tempfile.gettempdir()) / "handoff-bench-server.log"
        results = []
        with server.gunicorn(env, port=opts["port"], workers=opts["workers"], log=log_file) as base:
            clients = Clients(base)
            for persona in (*PERSONAS, CONTACT):
                clients.login(persona)
            targets = [t for t in build_targets(webhook_target) if opts["only"].lower() in t.name.lower()]
            self.stdout.write(report.table([]))
            for target in targets:
                if target.note:
                    result = load.Result(target.name, target.goal_ms, note=target.note)
                else:
                    result = load.run(
                        target.name, lambda session, n, t=target: t.send(session, base, n),
                        make_session=lambda t=target: clients.session_for(t),
                        total=opts["requests"], clients=opts["clients"], goal_ms=target.goal_ms,
                        expect=target.expect, budget_seconds=opts["budget"],
                    )
                results.append(result)
                self.stdout.write(report.table([result]).splitlines()[-1])
        server.drop_queued(env)
        text = report.document(
            results, data=data,
            server=f"gunicorn, {opts['workers']} sync workers, DEBUG off, whitenoise static files",
            clients=(
                f"{opts['clients']} concurrent clients, up to {opts['requests']} requests or "
                f"{opts['budget']:.0f} s per target, on the same machine"
            ),
        )
        Path(opts["output"]).write_text(text)
        self.stdout.write(f"\nWritten to {opts['output']}.")

    def _data_summary(self) -> str:
        return (
            f"{Ticket.objects.count()} tickets, {Defect.objects.count()} defects, "
            f"{TicketDefectLink.objects.count()} links, {Customer.objects.count()} customers (PostgreSQL "
            f"{connection.cursor().connection.info.server_version // 10000})"
        )
