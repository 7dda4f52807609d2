"""Throughput with wrk: how many requests a second the server answers, and whose CPU they cost.

The bench's own clients are Python threads; on the server's machine each request
costs them 0.9 to 1.4 ms of CPU, a fifth of a webhook delivery's whole cost. wrk (a
C load generator, Debian's package `wrk`) costs a few microseconds a request, so
what is measured is the server. The requests are written in advance into a
file: wrk's threads cycle through them, each from its own offset, so no two
requests of a run carry the same body (a webhook delivery is answered once).

Each run also reads how much CPU each group of processes used (/proc), so the
table says where a request's cost went: the web workers, PostgreSQL, the load
generator and the rest of the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# What a request may answer to count; any other status is counted by the script.
OK_STATUSES = (200, 202)
# Processes by what their command line holds, in the order they are matched.
GROUPS = (("web workers", "gunicorn"), ("PostgreSQL", "postgres"), ("Redis", "redis"))


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Run:
    """One target's run: the numbers wrk printed and the CPU each group used."""

    name: str
    goal_per_second: float | None
    requests: int = 0
    goal_p95_ms: float | None = None
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    bad: int = 0
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_ms_per_request(self, group: str) -> float:
        return 1000 * self.cpu.get(group, 0.0) / self.requests if self.requests else 0.0

    @property
    def verdict(self) -> str:
        if self.bad or self.errors:
            return f"{self.bad} bad answers, {self.errors} socket errors"
        if self.goal_p95_ms is not None:
            return "ok" if self.p95_ms < self.goal_p95_ms else "SLOW"
        if self.goal_per_second is None:
            return ""
        return "ok" if self.per_second >= self.goal_per_second else "BELOW"


def raw_requests(requests: list[Request], host: str) -> bytes:
    """The requests as HTTP/1.1 bytes, each after a line with its length (what the script reads)."""
    out = bytearray()
    for r in requests:
        head = [f"{r.method} {r.path} HTTP/1.1", f"Host: {host}"]
        head += [f"{name}: {value}" for name, value in r.headers.items()]
        if r.body or r.method != "GET":
            head.append(f"Content-Length: {len(r.body)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + r.body
        out += f"{len(raw)}\n".encode() + raw
    return bytes(out)


# wrk's script: each thread reads the requests once, then sends them in turn from its own
# offset; `response` counts answers other than OK_STATUSES; `done` prints one JSON line.
SCRIPT = """
-- Globals, so that setup() can give each thread its offset and done() read its count.
threads, counter, step, offset, bad = {}, 0, 1, 0, 0

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  step = tonumber(args[1]) or 1
  local file = assert(io.open(args[2], "rb"))
  local data = file:read("*a")
  file:close()
  requests = {}
  local at = 1
  while at <= #data do
    local line_end = data:find("\\n", at, true)
    local size = tonumber(data:sub(at, line_end - 1))
    requests[#requests + 1] = data:sub(line_end + 1, line_end + size)
    at = line_end + size + 1
  end
end

function request()
  local n = ((counter * step + offset) % #requests) + 1
  counter = counter + 1
  return requests[n]
end

function response(status, headers, body)
  if NOT_OK then
    bad = bad + 1
  end
end

function done(summary, latency, _)
  local bad_total = 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "microseconds": %d, "p50": %d, "p95": %d, "bad": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), bad_total,
    e.connect + e.read + e.write + e.timeout))
end
""".replace("NOT_OK", " and ".join(f"status ~= {status}" for status in OK_STATUSES))


def cpu_seconds(groups: Iterable[tuple[str, str]] = GROUPS) -> dict[int, tuple[str, float]]:
    """pid -> (its group, CPU seconds it has used, user and system), for every running process."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, tuple[str, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat, open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                fields = stat.read().rsplit(")", 1)[1].split()
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        group = next((name for name, needle in groups if needle in command), "the rest")
        used[int(entry.name)] = (group, (int(fields[11]) + int(fields[12])) / tick)
    return used


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds each group used between two readings, process by process.

    A process that ended between them is left out (what it used is no longer
    readable), rather than subtracted: a database connection closed during a run
    must not make PostgreSQL's share negative.
    """
    used: dict[str, float] = {}
    for pid, (group, seconds) in after.items():
        earlier = before.get(pid)
        start = earlier[1] if earlier is not None and earlier[0] == group else 0.0
        used[group] = used.get(group, 0.0) + seconds - start
    return used


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: it is Debian's package wrk (apt-get install wrk).")
    return found


def measure(name: str, base: str, requests: list[Request], *, clients: int, seconds: float,
            goal_per_second: float | None, workdir: Path, goal_p95_ms: float | None = None) -> Run:
    """Run wrk against `base` with `clients` connections for `seconds`; CPU read before and after."""
    threads = max(1, min(clients, os.cpu_count() or 1))
    script, data = workdir / "requests.lua", workdir / "requests.http"
    script.write_text(SCRIPT)
    data.write_bytes(raw_requests(requests, base.split("://", 1)[-1]))
    command = [wrk_path(), "-t", str(threads), "-c", str(clients), "-d", f"{seconds:.0f}s",
               "--timeout", "30s", "-s", str(script), base, "--", str(threads), str(data)]
    before, children_before = cpu_seconds(), _children_cpu()
    began = time.perf_counter()
    answer = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - began
    after = cpu_seconds()
    last = answer.stdout.strip().splitlines()[-1]
    numbers = json.loads(last)
    run = Run(
        name, goal_per_second, goal_p95_ms=goal_p95_ms, requests=numbers["requests"],
        seconds=numbers["microseconds"] / 1e6, p50_ms=numbers["p50"] / 1000, p95_ms=numbers["p95"] / 1000,
        bad=numbers["bad"], errors=numbers["errors"],
    )
    run.cpu = cpu_used(before, after)
    # wrk has ended by the second reading: the kernel keeps what it used as this process's child's.
    run.cpu["load generator"] = _children_cpu() - children_before
    run.cpu["idle"] = max(0.0, wall * (os.cpu_count() or 1) - sum(run.cpu.values()))
    return run


def _children_cpu() -> float:
    """CPU seconds this process's finished children have used so far."""
    times = os.times()
    return times.children_user + times.children_system


def table(runs: list[Run]) -> str:
    groups = ["web workers", "PostgreSQL", "load generator", "Redis", "the rest", "idle"]
    head = f"{'target':<34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'goal':>12}  " + "  ".join(
        f"{g:>14}" for g in groups) + "  result"
    lines = [head, "-" * len(head)]
    for run in runs:
        goal = (f"p95 < {run.goal_p95_ms:.0f} ms" if run.goal_p95_ms
                else f">= {run.goal_per_second:.0f}/s" if run.goal_per_second else "")
        cpu = "  ".join(f"{run.cpu_ms_per_request(g):>11.2f} ms" for g in groups)
        lines.append(f"{run.name[:34]:<34} {run.per_second:>7.1f} {run.p50_ms:>7.1f} {run.p95_ms:>7.1f} "
                     f"{goal:>12}  {cpu}  {run.verdict}")
    return "\n".join(lines)
