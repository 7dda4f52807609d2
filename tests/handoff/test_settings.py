"""A bad environment variable stops start-up with a message naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from handoff.env import env_bool, env_broker, env_database, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]
# Variables the settings read; cleared so each start-up sees only what the test sets.
SETTINGS_VARIABLES = (
    "DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "HANDOFF_MAX_UPLOAD_BYTES",
    "ALLOWED_HOSTS",
)


def start_django(**env: str) -> subprocess.CompletedProcess:
    """Run django.setup() in a fresh interpreter with these variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(env, DJANGO_SETTINGS_MODULE="handoff.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "variable,value",
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/handoff"),
        ("CELERY_BROKER_URL", "http://127.0.0.1:6379/0"),
        ("HANDOFF_MAX_UPLOAD_BYTES", "ten megabytes"),
    ],
)
def test_start_up_stops_on_a_bad_value_and_names_the_variable(variable, value):
    result = start_django(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


def test_start_up_without_a_secret_key_stops_when_debug_is_off():
    result = start_django(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]


def test_start_up_with_good_values_succeeds():
    result = start_django(
        DEBUG="0", SECRET_KEY="a-long-random-production-secret",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/handoff",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0", HANDOFF_MAX_UPLOAD_BYTES="5000000",
    )
    assert result.returncode == 0, result.stderr


def test_a_database_password_is_not_echoed_in_the_error():
    result = start_django(DATABASE_URL="mysql://root:s3cret-pw@db/handoff")
    assert "DATABASE_URL" in result.stderr
    assert "s3cret-pw" not in result.stderr


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("ON", True),
                                          ("0", False), ("no", False), ("", False)])
def test_booleans_read_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("DEBUG", raw)
    assert env_bool("DEBUG", default=not expected) is expected


def test_an_unset_boolean_takes_its_default(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert env_bool("DEBUG", default=True) is True


def test_a_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="^DEBUG must be a boolean"):
        env_bool("DEBUG")


def test_a_database_url_with_a_wrong_scheme_names_the_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@127.0.0.1/handoff")
    with pytest.raises(ImproperlyConfigured, match="^DATABASE_URL must be a postgres://"):
        env_database("DATABASE_URL", "unused.sqlite3")


def test_a_database_url_without_a_database_name_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    with pytest.raises(ImproperlyConfigured, match="^DATABASE_URL must name a database"):
        env_database("DATABASE_URL", "unused.sqlite3")


def test_a_malformed_database_url_names_the_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@host:notaport/handoff")
    with pytest.raises(ImproperlyConfigured, match="^DATABASE_URL is not a valid database URL"):
        env_database("DATABASE_URL", "unused.sqlite3")


def test_no_database_url_means_sqlite(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env_database("DATABASE_URL", "/tmp/demo.sqlite3")
    assert config == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/demo.sqlite3"}


def test_a_postgres_url_becomes_a_postgres_database(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff")
    config = env_database("DATABASE_URL", "unused.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("127.0.0.1", 5432, "handoff")


def test_a_broker_url_with_a_wrong_scheme_names_the_variable(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "http://127.0.0.1:6379/0")
    with pytest.raises(ImproperlyConfigured, match="^CELERY_BROKER_URL must be a redis://"):
        env_broker("CELERY_BROKER_URL")


def test_no_broker_url_means_tasks_run_in_process(monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert env_broker("CELERY_BROKER_URL") == ""


def test_a_non_integer_names_the_variable(monkeypatch):
    monkeypatch.setenv("HANDOFF_MAX_UPLOAD_BYTES", "10MB")
    with pytest.raises(ImproperlyConfigured, match="^HANDOFF_MAX_UPLOAD_BYTES must be an integer"):
        env_int("HANDOFF_MAX_UPLOAD_BYTES", 100)


def test_an_integer_below_its_minimum_names_the_variable(monkeypatch):
    monkeypatch.setenv("HANDOFF_MAX_UPLOAD_BYTES", "0")
    with pytest.raises(ImproperlyConfigured, match="^HANDOFF_MAX_UPLOAD_BYTES must be at least 1"):
        env_int("HANDOFF_MAX_UPLOAD_BYTES", 100, minimum=1)


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " handoff.example.com, ,127.0.0.1")
    assert env_list("ALLOWED_HOSTS", []) == ["handoff.example.com", "127.0.0.1"]


@pytest.mark.django_db
def test_the_api_docs_load_their_assets_from_the_portal_not_a_cdn(api, agent):
    import re

    page = api(agent).get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui" in s for s in sources)
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
