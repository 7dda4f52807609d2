"""The bench's database and a production-like server: gunicorn, DEBUG off, whitenoise for static files."""

import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests
from django.conf import settings
from psycopg import sql

from tools.bench.targets import BENCH_QUEUE


def ensure_database() -> bool:
    """Create the configured PostgreSQL database when it does not exist. True when created."""
    db = settings.DATABASES["default"]
    params = {
        "dbname": "postgres", "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None, "port": db.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        return True


def server_environment(database_url: str) -> dict[str, str]:
    """The environment of a production deployment on loopback: DEBUG off, a real secret key.

    Cookies are not marked Secure, and there is no redirect to HTTPS or HSTS, because
    the bench speaks plain HTTP to 127.0.0.1.
    """
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "HANDOFF_HTTPS": "0",
        "LOG_LEVEL": "WARNING",
        # Webhook processing is queued, as in production, on a queue no worker reads.
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"),
        "CELERY_QUEUE": BENCH_QUEUE,
    })
    return env


def drop_queued(env: dict[str, str]) -> None:
    """Forget the webhook tasks the bench queued (only the bench's own queue)."""
    import redis

    try:
        redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete(BENCH_QUEUE)
    except redis.RedisError:
        pass


def collect_static(env: dict[str, str], *, cwd: Path | None = None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=cwd or settings.BASE_DIR, env=env, check=True,
    )


@contextmanager
def gunicorn(env: dict[str, str], *, port: int, workers: int, log: Path, cwd: Path | None = None):
    """Serve the portal (the tree at `cwd`, this one by default) with gunicorn until the block ends;
    yields the base URL."""
    command = [
        sys.executable, "-m", "gunicorn", "handoff.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--log-level", "warning", "--timeout", "60", "--graceful-timeout", "5",
    ]
    with open(log, "w") as log_file:
        # Its own session, so stopping it also stops a worker still busy with a slow request.
        process = subprocess.Popen(
            command, cwd=cwd or settings.BASE_DIR, env=env, stdout=log_file, stderr=log_file, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, process, log)
            yield base
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # workers outliving their master
    except ProcessLookupError:
        pass


def _wait_until_up(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            if requests.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {log}")
