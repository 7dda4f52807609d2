"""The throughput bench's parts: the requests wrk sends, over real HTTP, and how a run is reported."""

import os
import shutil

import pytest
import requests

from tests.fakes.server import FakeServer, Response
from tools.bench import throughput
from tools.bench.targets import Clients, Target
from tools.bench.throughput import Request
from tools.management.commands.bench_throughput import requests_for

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian's package wrk)")


class _Recorder(FakeServer):
    """POSTs answered 202, GETs 200 (403 at /forbidden); FakeServer logs every request it serves."""

    def __init__(self) -> None:
        super().__init__()
        self.route("POST", r"/.*", lambda request: Response(202, "ok"))
        self.route("GET", r"/forbidden", lambda request: Response(403, "ok"))
        self.route("GET", r"/.*", lambda request: Response(200, "ok"))


@pytest.fixture
def recorder():
    server = _Recorder().start()
    yield server.origin, server.log
    server.stop()


def test_the_requests_file_holds_each_request_as_http_after_its_length():
    sent = [Request("POST", "/hooks/1/", {"X-Delivery": "a"}, b'{"n": 1}'), Request("GET", "/tickets/", {})]

    raw = throughput.raw_requests(sent, "127.0.0.1:8000")

    first = b'POST /hooks/1/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-Delivery: a\r\nContent-Length: 8\r\n\r\n{"n": 1}'
    second = b"GET /tickets/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
    assert raw == b"%d\n" % len(first) + first + b"%d\n" % len(second) + second


@needs_wrk
def test_wrk_sends_every_delivery_once_before_any_twice_from_each_thread(recorder, tmp_path):
    base, seen = recorder
    deliveries = [Request("POST", "/hooks/1/", {"X-Delivery": f"d-{n}"}, f'{{"n": {n}}}'.encode())
                  for n in range(20_000)]

    run = throughput.measure("hooks", base, deliveries, clients=2, seconds=1, goal_per_second=None,
                             workdir=tmp_path)

    assert run.requests > 0 and run.bad == 0 and run.errors == 0
    assert run.requests < len(deliveries)  # the recorder is slower than that: nothing repeated
    delivered = [request.header("X-Delivery") for request in seen]
    assert len(delivered) >= run.requests and len(set(delivered)) == len(delivered)
    assert all(request.body == b'{"n": %s}' % request.header("X-Delivery")[2:].encode() for request in seen)
    assert run.per_second == pytest.approx(run.requests / run.seconds)
    assert run.cpu["load generator"] > 0 and "idle" in run.cpu


@needs_wrk
def test_an_answer_other_than_ok_is_counted_bad_and_fails_the_run(recorder, tmp_path):
    base, seen = recorder
    pages = [Request("GET", "/tickets/", {"Cookie": "sessionid=abc"}), Request("GET", "/forbidden", {})]

    run = throughput.measure("pages", base, pages, clients=1, seconds=1, goal_per_second=10, workdir=tmp_path)

    forbidden = sum(1 for request in seen if request.path == "/forbidden")
    assert run.bad > 0 and run.bad <= forbidden <= run.bad + 1  # one may still be on its way at the end
    assert abs(run.bad - run.requests / 2) <= 1  # the two pages in turn
    sent = [(request.method, request.path, request.header("Cookie"), request.body) for request in seen]
    assert ("GET", "/tickets/", "sessionid=abc", b"") in sent
    assert run.verdict.startswith(f"{run.bad} bad answers")


def test_a_run_meets_its_goal_in_requests_a_second_and_the_table_splits_its_cpu():
    run = throughput.Run("webhook", 500.0, requests=12_000, seconds=20.0, p50_ms=11.0, p95_ms=16.0,
                         cpu={"web workers": 30.0, "PostgreSQL": 4.0, "load generator": 1.0})

    assert run.per_second == 600.0 and run.verdict == "ok"
    assert run.cpu_ms_per_request("web workers") == 2.5
    line = throughput.table([run]).splitlines()[-1]
    assert line.startswith("webhook") and "600.0" in line and "2.50 ms" in line and line.endswith("ok")
    assert throughput.Run("slow", 500.0, requests=100, seconds=1.0).verdict == "BELOW"
    one_client = throughput.Run("page", None, goal_p95_ms=20.0, requests=1000, seconds=20.0, p95_ms=21.0)
    assert one_client.verdict == "SLOW" and "p95 < 20 ms" in throughput.table([one_client])


def test_the_command_sends_a_page_with_its_persona_s_cookie_an_api_list_with_its_token_and_new_deliveries():
    clients = Clients("http://127.0.0.1:1", tokens={"agent": "t0ken"})
    jar = requests.cookies.RequestsCookieJar()
    jar.set("sessionid", "abc")
    clients.cookies["agent"] = jar
    page = Target("list", "agent", ["/tickets/", "/tickets/?page=2"])
    api = Target("api", "agent", ["/api/tickets/"], api=True)
    hook = Target("hook", "hook", ["/hooks/1/"], method="POST",
                  body=lambda n: (b'{"n": %d}' % n, {"X-Delivery": f"d-{n}"}))

    signed_in = {"Cookie": "sessionid=abc"}
    assert requests_for(page, clients, bodies=0) == [
        Request("GET", "/tickets/", signed_in), Request("GET", "/tickets/?page=2", signed_in),
    ]
    assert requests_for(api, clients, bodies=0) == [Request("GET", "/api/tickets/", {"Authorization": "Token t0ken"})]
    deliveries = requests_for(hook, clients, bodies=3)
    assert [(d.headers["X-Delivery"], d.body) for d in deliveries] == [
        ("d-0", b'{"n": 0}'), ("d-1", b'{"n": 1}'), ("d-2", b'{"n": 2}'),
    ]


def test_cpu_is_counted_per_process_so_one_that_ended_meanwhile_takes_nothing_away():
    before = {10: ("PostgreSQL", 5.0), 11: ("PostgreSQL", 9.0), 20: ("web workers", 1.0)}
    after = {10: ("PostgreSQL", 6.5), 20: ("web workers", 3.0), 21: ("web workers", 0.5)}  # 11 closed, 21 new

    assert throughput.cpu_used(before, after) == {"PostgreSQL": 1.5, "web workers": 2.5}


def test_the_cpu_reading_finds_this_process_among_the_running_ones():
    reading = throughput.cpu_seconds((("pytest", "pytest"),))

    group, seconds = reading[os.getpid()]
    assert seconds > 0 and group in ("pytest", "the rest")
