"""A bad environment variable stops start-up with a message naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from handoff.env import env_bool, env_broker, env_cache_url, env_database, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]
# Variables the settings read; cleared so each start-up sees only what the test sets.
SETTINGS_VARIABLES = (
    "DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "HANDOFF_MAX_UPLOAD_BYTES",
    "ALLOWED_HOSTS", "CACHE_URL", "HANDOFF_SYNC_CACHE_URL", "CELERY_QUEUE", "HANDOFF_STORAGE",
    "AWS_STORAGE_BUCKET_NAME",
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
        ("CACHE_URL", "memcached://127.0.0.1:11211"),
        ("HANDOFF_SYNC_CACHE_URL", "redis://127.0.0.1:6379/sync"),
        ("HANDOFF_STORAGE", "nfs"),
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


def test_postgres_binds_on_the_server_and_prepares_repeated_queries(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff")
    config = env_database("DATABASE_URL", "unused.sqlite3")
    assert config["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off_for_a_pooler(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff")
    config = env_database("DATABASE_URL", "unused.sqlite3", prepared=False)
    assert "server_side_binding" not in config.get("OPTIONS", {})
    assert "prepare_threshold" not in config.get("OPTIONS", {})


def test_sqlite_by_url_takes_no_postgres_options(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/demo.sqlite3")
    assert "server_side_binding" not in env_database("DATABASE_URL", "unused.sqlite3").get("OPTIONS", {})


@pytest.mark.django_db
def test_a_query_run_again_and_again_is_planned_once_per_connection(settings):
    """On PostgreSQL the same query text, run a few times on a connection, becomes a prepared statement."""
    from django.db import connection

    from tickets.models import Ticket

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(6):
        list(Ticket.objects.filter(pk=-1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any('FROM "tickets_ticket"' in statement for statement in statements)


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


def started_settings(*names: str, **env: str) -> dict:
    """The values of settings `names` after a start-up with these variables set."""
    import json

    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(env, DJANGO_SETTINGS_MODULE="handoff.settings")
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"


def test_without_redis_caches_are_per_process_and_sessions_live_in_the_database():
    found = started_settings("CACHES", "SESSION_ENGINE")
    assert {alias: c["BACKEND"] for alias, c in found["CACHES"].items()} == {
        "default": LOCMEM_CACHE, "sync": LOCMEM_CACHE,
    }
    assert found["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_a_redis_broker_is_the_shared_cache_and_sessions_are_cached_in_it():
    found = started_settings("CACHES", "SESSION_ENGINE", CELERY_BROKER_URL="redis://127.0.0.1:6379/3")
    default, sync = found["CACHES"]["default"], found["CACHES"]["sync"]
    assert (default["BACKEND"], default["LOCATION"]) == (REDIS_CACHE, "redis://127.0.0.1:6379/3")
    assert (sync["BACKEND"], sync["LOCATION"]) == (REDIS_CACHE, "redis://127.0.0.1:6379/3")
    assert found["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_cache_url_wins_over_the_broker_and_keys_carry_the_queue():
    found = started_settings(
        "CACHES", CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CACHE_URL="redis://cache.internal:6380/2",
        CELERY_QUEUE="staging",
    )
    default = found["CACHES"]["default"]
    assert (default["LOCATION"], default["KEY_PREFIX"]) == ("redis://cache.internal:6380/2", "handoff:staging")
    # Rate-limit budgets belong to the tracker account, whatever the deployment.
    assert found["CACHES"]["sync"]["KEY_PREFIX"] == "handoff-sync"


def test_the_sync_cache_url_still_names_its_own_redis():
    found = started_settings(
        "CACHES", CELERY_BROKER_URL="redis://127.0.0.1:6379/0", HANDOFF_SYNC_CACHE_URL="redis://127.0.0.1:6379/5",
    )
    assert found["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert found["CACHES"]["sync"]["LOCATION"] == "redis://127.0.0.1:6379/5"


@pytest.mark.parametrize(
    "env",
    [{"CELERY_BROKER_URL": "amqp://guest@127.0.0.1//"},
     {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CACHE_URL": "locmem://"}],
    ids=["amqp-broker", "asked-for"],
)
def test_caches_stay_per_process_with_an_amqp_broker_or_when_asked(env):
    found = started_settings("CACHES", "SESSION_ENGINE", **env)
    assert found["CACHES"]["default"]["BACKEND"] == LOCMEM_CACHE
    assert found["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_every_periodic_task_is_sent_through_the_once_per_slot_scheduler():
    assert started_settings("CELERY_BEAT_SCHEDULER")["CELERY_BEAT_SCHEDULER"] == "handoff.beat:OncePerSlotScheduler"


@pytest.mark.parametrize(
    "value,message",
    [
        ("memcached://127.0.0.1:11211", "^CACHE_URL must be a redis://, rediss:// or unix:// URL, got 'memcached'"),
        ("redis://127.0.0.1:63x9/0", "^CACHE_URL has a port that is not a number"),
        ("redis:///0", "^CACHE_URL must name a host"),
        ("redis://127.0.0.1:6379/cache", "^CACHE_URL must end with a database number"),
    ],
)
def test_a_bad_cache_url_names_the_variable(monkeypatch, value, message):
    monkeypatch.setenv("CACHE_URL", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_cache_url("CACHE_URL", broker_url="")


def test_a_cache_password_is_not_echoed_in_the_error(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://:s3cret-pw@cache:port/0")
    with pytest.raises(ImproperlyConfigured) as raised:
        env_cache_url("CACHE_URL", broker_url="")
    assert "s3cret-pw" not in str(raised.value)


def test_unix_socket_and_tls_cache_urls_are_taken(monkeypatch):
    for url in ("unix:///run/redis/redis.sock?db=1", "rediss://:pw@cache.example.com:6380/1"):
        monkeypatch.setenv("CACHE_URL", url)
        assert env_cache_url("CACHE_URL", broker_url="") == url
