"""The bench's table, with the machine and data it was measured on."""

import os
import platform
from datetime import datetime, timezone

from tools.bench.load import Result


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
            memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} {platform.release()}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[Result]) -> str:
    header = f"{'target':<44} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} {'goal p95':>9}  result"
    lines = [header, "-" * len(header)]
    for r in results:
        goal = f"< {r.goal_ms:.0f} ms" if r.goal_ms else ""
        per_second = "-" if r.per_second is None or not r.latencies else f"{r.per_second:.1f}"
        lines.append(
            f"{r.name[:44]:<44} {r.requests:>8} {_ms(r.p50):>8} {_ms(r.p95):>8} {per_second:>7} {goal:>9}  {r.verdict}"
        )
    return "\n".join(lines)


def document(results: list[Result], *, data: str, server: str, clients: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"Handoff bench, {stamp}",
        f"Machine: {machine()}",
        f"Data: {data}",
        f"Server: {server}",
        f"Clients: {clients}",
        "",
        table(results),
        "",
    ])
