"""`manage.py bench_compare --before REV [--after REV]` (`make bench-compare`): two trees side by side.

Bench runs one after the other on a small machine move by more than a change does
(the same tree's p95 moves by 10 % from one run to the next). So both trees are served
at once, each by its own gunicorn on the same database, and each target is measured in
alternating bursts (before, after, then after, before, ...), so that both see the same
moments of the machine. The trees named by revision (the earlier one; with --after, the
later one too, instead of this tree) are checked out in temporary git worktrees, removed
at the end. They run with this tree's virtual environment and database schema, and only
read: a tree whose models the schema still holds (an older one) can be compared.
"""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tools.bench import load, server
from tools.bench.targets import CONTACT, PERSONAS, Clients, build_targets, give_the_engineer_a_queue, webhook_target


class Command(BaseCommand):
    help = "Serve this tree and an earlier one side by side on the bench database and compare each target's p95."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="The earlier tree: a commit, tag or branch.")
        parser.add_argument("--after", default="", help="Another tree to compare in place of this one.")
        parser.add_argument("--rounds", type=int, default=5, help="Bursts per tree and target.")
        parser.add_argument("--burst", type=int, default=40, help="Requests per burst.")
        parser.add_argument("--clients", type=int, default=4)
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
        parser.add_argument("--only", default="", help="Measure only targets whose name contains this text.")
        parser.add_argument("--output", default="bench-compare.txt")

    def handle(self, *args, **opts):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        if not settings.IS_POSTGRES or not os.environ.get("DATABASE_URL"):
            raise CommandError("The comparison runs on PostgreSQL: set DATABASE_URL (make bench-compare does).")
        give_the_engineer_a_queue()
        connection.close()
        workdir = Path(tempfile.mkdtemp(prefix="handoff-compare-"))
        git = ["git", "-C", str(settings.BASE_DIR)]
        trees = {"before": workdir / "before", "after": workdir / "after" if opts["after"] else settings.BASE_DIR}
        try:
            for side in ("before", "after"):
                if opts[side]:
                    subprocess.run([*git, "worktree", "add", "--detach", str(trees[side]), opts[side]], check=True,
                                   capture_output=True)
            lines = self._compare(trees, workdir, opts)
        finally:
            for side in ("before", "after"):
                if opts[side]:
                    subprocess.run([*git, "worktree", "remove", "--force", str(trees[side])], check=False)

        def named(rev: str) -> str:
            short = subprocess.run([*git, "rev-parse", "--short", rev], capture_output=True, text=True).stdout.strip()
            return f"{rev} ({short})" if short != rev else rev

        after = named(opts["after"]) if opts["after"] else "this tree"
        text = "\n".join([
            f"Handoff side by side: {after} against {named(opts['before'])}",
            f"{opts['rounds']} bursts of {opts['burst']} requests per tree and target, {opts['clients']} clients, "
            f"gunicorn with {opts['workers']} workers each, DEBUG off",
            "",
            *lines,
            "",
        ])
        Path(opts["output"]).write_text(text)
        self.stdout.write(f"\nWritten to {opts['output']}.")

    def _compare(self, trees: dict[str, Path], workdir: Path, opts) -> list[str]:
        # Each tree imports its own code first, and gets its own secret key (sessions do not cross).
        envs = {
            side: {**server.server_environment(os.environ["DATABASE_URL"]), "PYTHONPATH": str(tree)}
            for side, tree in trees.items()
        }
        for side, tree in trees.items():
            server.collect_static(envs[side], cwd=tree)
        header = f"{'target':<40} {'before p50/p95 ms':>18} {'after p50/p95 ms':>18} {'p95 change':>11}"
        lines = [header, "-" * len(header)]
        self.stdout.write(header)
        with (
            server.gunicorn(envs["before"], port=8801, workers=opts["workers"], log=workdir / "before.log",
                            cwd=trees["before"]) as before_base,
            server.gunicorn(envs["after"], port=8802, workers=opts["workers"], log=workdir / "after.log",
                            cwd=trees["after"]) as after_base,
        ):
            sides = {"before": Clients(before_base), "after": Clients(after_base)}
            for clients in sides.values():
                for persona in (*PERSONAS, CONTACT):
                    try:
                        clients.login(persona)
                    except RuntimeError:
                        pass  # a persona the earlier tree cannot sign in (its portal, say): its targets are left out
            for target in build_targets(webhook_target):
                if target.note or opts["only"].lower() not in target.name.lower():
                    continue
                line = self._measure(target, sides, opts)
                lines.append(line)
                self.stdout.write(line)
        server.drop_queued(envs["after"])
        return lines

    @staticmethod
    def _measure(target, sides: dict[str, Clients], opts) -> str:
        latencies: dict[str, list[float]] = {"before": [], "after": []}
        for n in range(opts["rounds"]):
            order = ("before", "after") if n % 2 == 0 else ("after", "before")
            for side in order:
                clients = sides[side]
                result = load.run(
                    target.name, lambda session, i, t=target, base=clients.base: t.send(session, base, i),
                    make_session=lambda t=target, c=clients: c.session_for(t), total=opts["burst"],
                    clients=opts["clients"], goal_ms=None, expect=target.expect, warmup=1 if n else 3,
                )
                if result.errors:
                    return f"{target.name:<40} not comparable: {side} answered {result.verdict}"
                latencies[side].extend(result.latencies)

        before = load.Result(target.name, None, latencies=latencies["before"])
        after = load.Result(target.name, None, latencies=latencies["after"])
        b50, b95, a50, a95 = before.p50, before.p95, after.p50, after.p95
        change = (a95 - b95) / b95 * 100
        return f"{target.name:<40} {b50:>8.1f} / {b95:>6.1f} {a50:>8.1f} / {a95:>6.1f} {change:>+10.0f}%"
