"""A small load generator: a few concurrent clients, a bounded number of requests, latencies kept."""

import math
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests


@dataclass
class Result:
    """What one target did under load. Latencies in milliseconds, client side."""

    name: str
    goal_ms: float | None
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    note: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    def percentile(self, share: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        # Nearest rank: the smallest value at or below which `share` of the requests fall.
        rank = math.ceil(share * len(ordered))
        return ordered[max(0, min(len(ordered), rank) - 1)]

    @property
    def p50(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    @property
    def p95(self) -> float | None:
        return self.percentile(0.95)

    @property
    def per_second(self) -> float | None:
        return self.requests / self.seconds if self.seconds else None

    @property
    def verdict(self) -> str:
        if self.note and not self.latencies:
            return self.note
        if self.errors:
            return f"{self.errors} errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.failures.items()))
        if self.goal_ms is None or self.p95 is None:
            return ""
        return "ok" if self.p95 < self.goal_ms else "SLOW"


Request = Callable[[requests.Session, int], requests.Response]


def run(
    name: str, send: Request, *, make_session: Callable[[], requests.Session], total: int,
    clients: int, goal_ms: float | None, warmup: int = 3, expect: tuple[int, ...] = (200,),
    budget_seconds: float = 60.0,
) -> Result:
    """Send up to `total` requests from `clients` threads; the n-th request is `send(session, n)`.

    A response whose status is not in `expect` counts as an error, not a latency:
    a fast 403 must never pass for a fast page. No new request starts after
    `budget_seconds`, so one very slow page cannot stall the whole bench.
    """
    result = Result(name, goal_ms)
    warm = make_session()
    for n in range(warmup):
        try:
            send(warm, n)
        except requests.RequestException:
            break
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.perf_counter() + budget_seconds

    def client() -> None:
        session = make_session()
        while True:
            with lock:
                n = next(counter, None) if time.perf_counter() < deadline else None
            if n is None:
                return
            began = time.perf_counter()
            try:
                response = send(session, n)
                status = str(response.status_code)
                ok = response.status_code in expect
            except requests.RequestException as exc:
                status, ok = type(exc).__name__, False
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                if ok:
                    result.latencies.append(elapsed)
                else:
                    result.failures[status] = result.failures.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result
