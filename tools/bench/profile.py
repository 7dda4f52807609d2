"""Where a request's time goes: Python, templates, the database, and session and auth lookups.

Each request runs in-process through Django's full handler (every middleware, the
real session and sign-in), one at a time, with a clock that charges each moment to
exactly one part: the innermost of a database query, a template render, or the
session and sign-in lookups that is running, and Python otherwise. The parts of a
request therefore add up to its whole time.
"""

import importlib
import statistics
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.db import connection

PARTS = ("python", "template", "database", "session and auth")
# Queries reading these tables first are the price of knowing who asks, whatever view runs
# (a query that only joins auth_user, to name an author, is the view's own).
AUTH_TABLES = tuple(
    f'FROM "{table}' for table in ("django_session", "auth_user", "auth_group", "auth_permission", "authtoken_token")
)


def start_as_served() -> None:
    """Start as a served process does (handoff/wsgi.py): every view imported, and what start-up
    loaded frozen out of the garbage collector's sweeps. Without it, a full sweep of those objects
    (70 to 120 ms) lands on one request in a few dozen and shows in a p95 that no served request pays.
    """
    importlib.import_module("handoff.wsgi")


class Clock:
    """Charges elapsed time to the part on top of a stack; the bottom is Python."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.queries = 0
        self._stack = ["python"]
        self._since = time.perf_counter()

    def _charge(self) -> None:
        now = time.perf_counter()
        self.spent[self._stack[-1]] += now - self._since
        self._since = now

    @contextmanager
    def part(self, name: str):
        self._charge()
        self._stack.append(name)
        try:
            yield
        finally:
            self._charge()
            self._stack.pop()

    def stop(self) -> dict[str, float]:
        self._charge()
        return {name: self.spent.get(name, 0.0) * 1000 for name in PARTS}


@dataclass
class Profile:
    """One target's requests: total times and each part's time, in milliseconds."""

    name: str
    totals: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    queries: list[int] = field(default_factory=list)
    status: int = 200

    def add(self, total: float, parts: dict[str, float], queries: int) -> None:
        self.totals.append(total)
        self.queries.append(queries)
        for name, ms in parts.items():
            self.parts[name].append(ms)

    def mean(self, name: str) -> float:
        return statistics.fmean(self.parts[name]) if self.parts[name] else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.totals)

    @property
    def p95(self) -> float:
        ordered = sorted(self.totals)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def _instrumented(clock: Clock) -> ExitStack:
    """Hooks that tell the clock which part runs: queries, top-level renders, sign-in lookups."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib import auth
    from django.template.backends import django as django_backend
    from django.template.backends import jinja2 as jinja2_backend
    from rest_framework.authentication import TokenAuthentication

    from portal import middleware as portal_middleware

    def on_query(execute, sql, params, many, context):
        clock.queries += 1
        name = "session and auth" if any(table in sql for table in AUTH_TABLES) else "database"
        with clock.part(name):
            return execute(sql, params, many, context)

    def timed(part: str, function):
        def wrapper(*args, **kwargs):
            with clock.part(part):
                return function(*args, **kwargs)
        return wrapper

    stack = ExitStack()
    stack.enter_context(connection.execute_wrapper(on_query))
    for backend in (django_backend, jinja2_backend):
        stack.enter_context(mock.patch.object(backend.Template, "render", timed("template", backend.Template.render)))
    sessions = import_module(settings.SESSION_ENGINE).SessionStore
    stack.enter_context(mock.patch.object(sessions, "load", timed("session and auth", sessions.load)))
    stack.enter_context(mock.patch.object(auth, "get_user", timed("session and auth", auth.get_user)))
    stack.enter_context(mock.patch.object(
        TokenAuthentication, "authenticate", timed("session and auth", TokenAuthentication.authenticate)))
    # A customer's contact signs in to the portal with a session of its own (portal/middleware.py).
    stack.enter_context(mock.patch.object(
        portal_middleware, "identity_for_session", timed("session and auth", portal_middleware.identity_for_session)))
    return stack


def measure(name: str, get, paths: list[str], *, repeat: int, warmup: int = 3) -> Profile:
    """`repeat` requests in turn over `paths`, after `warmup` unmeasured ones; `get(path)` answers each."""
    profile = Profile(name)
    for n in range(warmup):
        get(paths[n % len(paths)])
    for n in range(repeat):
        clock = Clock()
        with _instrumented(clock):
            started = time.perf_counter()
            response = get(paths[n % len(paths)])
            total = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            profile.status = response.status_code
        profile.add(total, clock.stop(), clock.queries)
    return profile


def table(profiles: list[Profile]) -> str:
    header = (
        f"{'target':<40} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} "
        + " ".join(f"{part:>16}" for part in PARTS)
    )
    lines = [header, "-" * len(header)]
    for p in profiles:
        if not p.totals:
            continue
        mean_total = statistics.fmean(p.totals) or 1.0
        shares = " ".join(
            f"{p.mean(part):>7.1f} ms {100 * p.mean(part) / mean_total:>3.0f} %" for part in PARTS
        )
        flag = "" if p.status == 200 else f"  HTTP {p.status}"
        lines.append(
            f"{p.name[:40]:<40} {p.p50:>7.1f} {p.p95:>7.1f} {statistics.median(p.queries):>7.0f} {shares}{flag}"
        )
    return "\n".join(lines)
