"""With DEBUG off the portal assumes HTTPS: it redirects to it, sends HSTS, and trusts a proxy only when told."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables the HTTPS settings read; cleared so each start-up sees only what the test sets.
HTTPS_VARIABLES = (
    "DEBUG", "SECRET_KEY", "HANDOFF_HTTPS", "HANDOFF_BEHIND_PROXY", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "ALLOWED_HOSTS",
)
READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER"]
values = {name: getattr(settings, name) for name in names}
# The dashboard over plain HTTP, over HTTPS, and over HTTP behind a proxy that says HTTPS
# (signed out, so it answers with a redirect to the login page: no template, no database).
client = Client()
plain = client.get("/")
secure = client.get("/", secure=True)
proxied = client.get("/", HTTP_X_FORWARDED_PROTO="https")
values["plain"] = [plain.status_code, plain.get("Location", "")]
values["secure"] = [secure.status_code, secure.get("Strict-Transport-Security", "")]
values["proxied"] = [proxied.status_code, proxied.get("Strict-Transport-Security", "")]
print(json.dumps(values))
"""


def start_django(**env: str) -> dict:
    """Django's HTTPS settings and three requests to the dashboard, in a fresh interpreter."""
    clean = {k: v for k, v in os.environ.items() if k not in HTTPS_VARIABLES}
    clean.update(env, DJANGO_SETTINGS_MODULE="handoff.settings", ALLOWED_HOSTS="testserver")
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_debug_off_plain_http_is_redirected_and_https_answers_with_hsts():
    seen = start_django(DEBUG="0", SECRET_KEY="a-long-random-production-secret")
    assert seen["SECURE_SSL_REDIRECT"] is True
    assert seen["SECURE_HSTS_SECONDS"] == 31_536_000
    assert seen["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert seen["plain"] == [301, "https://testserver/"]
    assert seen["secure"] == [302, "max-age=31536000"]


def test_a_forwarded_proto_header_is_ignored_unless_the_portal_is_behind_a_proxy():
    seen = start_django(DEBUG="0", SECRET_KEY="a-long-random-production-secret")
    assert seen["SECURE_PROXY_SSL_HEADER"] is None
    assert seen["proxied"][0] == 301


def test_behind_a_proxy_its_forwarded_proto_counts_as_https():
    seen = start_django(DEBUG="0", SECRET_KEY="a-long-random-production-secret", HANDOFF_BEHIND_PROXY="1")
    assert seen["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert seen["proxied"] == [302, "max-age=31536000"]


def test_hsts_duration_and_subdomains_follow_the_environment():
    seen = start_django(
        DEBUG="0", SECRET_KEY="a-long-random-production-secret",
        SECURE_HSTS_SECONDS="300", SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
    )
    assert seen["secure"] == [302, "max-age=300; includeSubDomains"]


def test_a_site_served_over_plain_http_can_turn_https_off():
    seen = start_django(DEBUG="0", SECRET_KEY="a-long-random-production-secret", HANDOFF_HTTPS="0")
    assert seen["SECURE_SSL_REDIRECT"] is False
    assert seen["SECURE_HSTS_SECONDS"] == 0
    assert seen["plain"][0] == 302


def test_the_demo_with_debug_on_stays_on_plain_http():
    seen = start_django(DEBUG="1")
    assert seen["SECURE_SSL_REDIRECT"] is False
    assert seen["plain"][0] == 302
    assert seen["secure"] == [302, ""]


def test_a_bad_hsts_duration_stops_start_up_and_names_the_variable():
    clean = {k: v for k, v in os.environ.items() if k not in HTTPS_VARIABLES}
    clean.update(DEBUG="0", SECRET_KEY="x", SECURE_HSTS_SECONDS="a year", DJANGO_SETTINGS_MODULE="handoff.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr.strip().splitlines()[-1]
