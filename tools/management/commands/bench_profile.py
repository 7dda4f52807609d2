"""`manage.py bench_profile`: where each bench target's time goes, one request at a time, in-process."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from tools.bench import profile, report, server
from tools.bench.targets import (
    CONTACT,
    PASSWORD,
    PERSONAS,
    Target,
    build_targets,
    give_the_engineer_a_queue,
    portal_contact,
    webhook_target,
)

# Set in the environment of the run that measures, so it does not start itself again.
MEASURING = "HANDOFF_BENCH_PROFILE"


class Command(BaseCommand):
    help = "Split each bench target's time into Python, templates, database, and session and auth lookups."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=40, help="Measured requests per target.")
        parser.add_argument("--only", default="", help="Measure only targets whose name contains this text.")
        parser.add_argument("--output", default="bench-profile.txt")

    def handle(self, *args, **opts):
        if not settings.IS_POSTGRES or not os.environ.get("DATABASE_URL"):
            raise CommandError("The profile runs on PostgreSQL: set DATABASE_URL (make bench-profile does).")
        if not os.environ.get(MEASURING):
            # Settings are read once, at start: measure in a process that has the
            # server's (DEBUG off, cached sessions, compressed static manifest).
            env = server.server_environment(os.environ["DATABASE_URL"])
            env[MEASURING] = "1"
            server.collect_static(env)
            sys.exit(subprocess.run([sys.executable, "manage.py", "bench_profile", *sys.argv[2:]], env=env).returncode)

        profile.start_as_served()
        give_the_engineer_a_queue()
        clients = {persona: self._client(persona) for persona in (*PERSONAS, CONTACT)}
        tokens = {persona: self._token(persona) for persona in PERSONAS}
        profiles = []
        self.stdout.write(profile.table([]))
        for target in build_targets(webhook_target):
            if target.note or opts["only"].lower() not in target.name.lower():
                continue
            client = Client(**self._headers(target, tokens))
            if not target.api and target.persona in clients:
                client.cookies = clients[target.persona].cookies
            result = profile.measure(target.name, self._getter(client, target), target.paths, repeat=opts["requests"])
            profiles.append(result)
            self.stdout.write(profile.table([result]).splitlines()[-1])
        server.drop_queued(os.environ)
        text = "\n".join([
            "Handoff request profile (in-process, one request at a time)",
            f"Machine: {report.machine()}",
            "Each part is the mean per request; the parts add up to the whole request.",
            "",
            profile.table(profiles),
            "",
        ])
        Path(opts["output"]).write_text(text)
        self.stdout.write(f"\nWritten to {opts['output']}.")

    @staticmethod
    def _headers(target: Target, tokens: dict[str, str]) -> dict[str, str]:
        headers = {"HTTP_HOST": "127.0.0.1"}
        if target.api and tokens.get(target.persona):
            headers["HTTP_AUTHORIZATION"] = f"Token {tokens[target.persona]}"
        return headers

    @staticmethod
    def _getter(client: Client, target: Target):
        counter = iter(range(10**9))

        def get(path: str):
            if target.body is None:
                return client.generic(target.method, path)
            data, headers = target.body(next(counter))
            extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
            return client.generic(target.method, path, data, content_type=headers.get("Content-Type", ""), **extra)

        return get

    @staticmethod
    def _client(persona: str) -> Client:
        """A client signed in through the real sign-in pages, as a person is."""
        client = Client(HTTP_HOST="127.0.0.1")
        if persona == CONTACT:
            found = portal_contact()
            if found is not None:
                client.post("/portal/sign-in/", {"email": found[0], "password": PASSWORD})
            return client
        answer = client.post("/accounts/login/", {"username": PERSONAS[persona], "password": PASSWORD})
        if answer.status_code != 302:
            raise CommandError(f"could not sign in as {PERSONAS[persona]}: HTTP {answer.status_code}")
        return client

    @staticmethod
    def _token(persona: str) -> str:
        answer = Client(HTTP_HOST="127.0.0.1").post(
            "/api/auth/token/", {"username": PERSONAS[persona], "password": PASSWORD}, content_type="application/json")
        return answer.json().get("token", "") if answer.status_code == 200 else ""
