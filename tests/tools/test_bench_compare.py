"""The side-by-side comparison's measure: alternating bursts to two servers, over real HTTP."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools.bench.targets import Clients, Target
from tools.management.commands.bench_compare import Command


def _server(delay: float, status: int = 200):
    served = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            served.append(time.monotonic())
            time.sleep(delay)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", served


@pytest.fixture
def servers():
    made = []

    def make(delay: float, status: int = 200):
        server, base, served = _server(delay, status)
        made.append(server)
        return base, served

    yield make
    for server in made:
        server.shutdown()


OPTS = {"rounds": 4, "burst": 6, "clients": 2}


def test_both_trees_are_measured_in_alternating_bursts_and_the_change_is_the_p95s(servers):
    fast, fast_served = servers(0.0)
    slow, slow_served = servers(0.03)
    target = Target("page", "agent", ["/page"])

    line = Command._measure(target, {"before": Clients(fast), "after": Clients(slow)}, OPTS)

    name, _, _, before_p95, _, _, after_p95, change = line.split()
    assert name == "page" and float(after_p95) >= 30 > float(before_p95)
    assert change.startswith("+") and change.endswith("%")
    # Warm-up aside, each served its share, and the bursts took turns (each side's served
    # requests are not all before the other's).
    assert len(fast_served) >= OPTS["rounds"] * OPTS["burst"] <= len(slow_served)
    assert min(slow_served) < max(fast_served) and min(fast_served) < max(slow_served)


def test_a_target_one_tree_does_not_have_is_not_compared(servers):
    missing, _ = servers(0.0, status=404)
    present, _ = servers(0.0)

    line = Command._measure(Target("repository list", "agent", ["/x"]), {
        "before": Clients(missing), "after": Clients(present)}, OPTS)

    assert line.split()[:2] == ["repository", "list"] and "not comparable: before answered" in line
