"""Links in emails use the address the portal is served on.

`make run` (through `make serve`) sets HANDOFF_BASE_URL from PORT; in production, where
it must be set by hand, start-up warns when it is missing with DEBUG off.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from core.checks import base_url_given
from tests.handoff.test_settings import SETTINGS_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
CLEARED = (*SETTINGS_VARIABLES, "HANDOFF_BASE_URL", "PORT", "EMAIL_BACKEND", "MAKEFLAGS", "MAKELEVEL")


def clean_env(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    clean.update(env)
    return clean


def test_with_debug_off_a_missing_base_url_is_a_start_up_warning(settings):
    settings.DEBUG, settings.HANDOFF_BASE_URL_GIVEN = False, False
    (warning,) = base_url_given(None)
    assert warning.id == "handoff.W001" and "HANDOFF_BASE_URL is not set" in warning.msg
    settings.HANDOFF_BASE_URL_GIVEN = True
    assert base_url_given(None) == []
    settings.DEBUG, settings.HANDOFF_BASE_URL_GIVEN = True, False
    assert base_url_given(None) == []


def test_manage_py_check_prints_the_warning_in_production_and_not_once_the_address_is_set():
    production = {"DEBUG": "0", "SECRET_KEY": "a-long-random-production-secret", "ALLOWED_HOSTS": "handoff.example.com"}

    def check(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean_env(**production, **env),
            capture_output=True, text=True, timeout=120,
        )

    missing = check()
    assert missing.returncode == 0, missing.stderr
    assert "(handoff.W001) HANDOFF_BASE_URL is not set" in missing.stderr
    given = check(HANDOFF_BASE_URL="https://handoff.example.com")
    assert given.returncode == 0 and "handoff.W001" not in given.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_serve_on_another_port_sends_password_reset_links_to_that_port(tmp_path):
    """The real thing: `make serve PORT=n` on a fresh database, a reset asked for, the email read."""
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    subprocess.run(
        [sys.executable, "-c", (
            "import django; django.setup()\n"
            "from django.core.management import call_command\n"
            "from django.contrib.auth.models import User\n"
            "call_command('migrate', verbosity=0)\n"
            "User.objects.create_user('rita', 'rita@example.com', 'handoff-test-pw')\n"
        )],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "handoff.settings"}, check=True, timeout=300,
    )
    port = free_port()
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(server.stdout), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies := CookieJar()))
        for _ in range(120):
            try:
                form = browser.open(f"{base}/accounts/password-reset/", timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("make serve did not answer:\n" + "".join(output))
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        assert any(cookie.name == "csrftoken" for cookie in cookies)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": "rita@example.com"}).encode()
        browser.open(urllib.request.Request(f"{base}/accounts/password-reset/", data=body, headers={"Referer": base}))
        for _ in range(60):
            links = re.findall(r"https?://\S+/accounts/reset/\S+", "".join(output))
            if links:
                break
            time.sleep(0.5)
        assert links, "no reset email in the server's output:\n" + "".join(output)
        assert links[0].startswith(f"{base}/accounts/reset/")
        assert browser.open(links[0], timeout=5).status == 200  # the link works on the served port
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
