"""Typed readers for environment variables.

A bad value stops start-up with ImproperlyConfigured naming the variable, so a
typo in production fails loudly instead of running with a silent default.
"""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default_sqlite_path: str, *, prepared: bool = True) -> dict:
    """DATABASE_URL as a Django DATABASES entry; SQLite when unset.

    On PostgreSQL, `prepared` binds parameters on the server and lets psycopg prepare a
    query once it has run a few times on a connection: PostgreSQL then plans it once
    per connection, not on every request, and planning the joins of a busy page costs
    more than running them. Off for a pooler that cannot keep prepared statements
    (PgBouncer in transaction mode before 1.21).
    """
    import dj_database_url

    raw = os.environ.get(name, "").strip()
    if not raw:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path}
    scheme = urlparse(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"{name} must be a postgres:// or sqlite:// URL, got scheme {scheme!r}"
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("NAME"):
        # Caught here rather than at the first query, with the variable named.
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://user@host:5432/handoff")
    if prepared and config["ENGINE"].endswith("postgresql"):
        # psycopg's own threshold: a query run once (an odd filter) is never prepared.
        config.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    return config


def env_broker(name: str) -> str:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    scheme = urlparse(raw).scheme
    if scheme not in {"redis", "rediss", "amqp", "amqps", "pyamqp"}:
        raise ImproperlyConfigured(
            f"{name} must be a redis:// or amqp:// URL, got scheme {scheme!r}"
        )
    return raw


_REDIS_SCHEMES = {"redis", "rediss", "unix"}


def env_redis_url(name: str) -> str:
    """A Redis URL (redis://, rediss:// or unix://), or "" when unset.

    The URL is checked here, naming the variable, rather than at the first cache
    call; a password in it is never echoed.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlparse(raw)
    if parts.scheme not in _REDIS_SCHEMES:
        raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL, got {parts.scheme!r}")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise ImproperlyConfigured(f"{name} must name a host, e.g. redis://127.0.0.1:6379/1")
    db = parts.path.strip("/") if parts.scheme != "unix" else ""
    if db and not db.isdigit():
        raise ImproperlyConfigured(f"{name} must end with a database number, e.g. redis://127.0.0.1:6379/1")
    return raw


def env_cache_url(name: str, *, broker_url: str) -> str:
    """Where the caches every process must share live: a Redis URL, or "" for per-process memory.

    Unset, it is the broker's Redis when CELERY_BROKER_URL is a redis:// URL (a
    deployment with a Redis broker already runs the server the caches need), and
    per-process memory otherwise, which is right for the embedded single-process
    default. `locmem://` asks for per-process memory even with a Redis broker.
    """
    raw = os.environ.get(name, "").strip()
    if raw.lower() == "locmem://":
        return ""
    if raw:
        return env_redis_url(name)
    if urlparse(broker_url).scheme in {"redis", "rediss"}:
        return broker_url
    return ""


def cache_config(url: str, *, prefix: str) -> dict:
    """A CACHES entry: Redis at `url` when given, this process's memory otherwise.

    Short socket timeouts: a Redis that stops answering fails a request at once
    rather than holding a web worker until the server's own timeout.
    """
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
    }


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def storage_config(name: str) -> dict:
    """The STORAGES["default"] entry for attachments, chosen by the variable `name`.

    `local` (the default) keeps files under MEDIA_ROOT. `s3` keeps them in an
    S3-compatible bucket through django-storages: AWS_STORAGE_BUCKET_NAME names it;
    AWS_S3_ENDPOINT_URL (MinIO, Ceph, another cloud), AWS_S3_REGION_NAME and
    AWS_S3_ADDRESSING_STYLE are optional; the credentials are boto3's own
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role).
    """
    kind = env_choice(name, ("local", "s3"), "local")
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        raise ImproperlyConfigured(f"{name}=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket that keeps attachments")
    options: dict = {
        "bucket_name": bucket,
        # Files are private: downloads go through the portal's permission check, never a bucket URL.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip()
    if endpoint:
        if urlparse(endpoint).scheme not in {"http", "https"}:
            raise ImproperlyConfigured("AWS_S3_ENDPOINT_URL must be an http:// or https:// URL")
        options["endpoint_url"] = endpoint
    region = os.environ.get("AWS_S3_REGION_NAME", "").strip()
    if region:
        options["region_name"] = region
    style = env_choice("AWS_S3_ADDRESSING_STYLE", ("auto", "virtual", "path"), "")
    if style:
        options["addressing_style"] = style
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def env_hours_by_key(name: str, default: dict[str, int]) -> dict[str, int]:
    """`key=hours,key=hours` for some of `default`'s keys (each at least 1), the others as in `default`."""
    raw = os.environ.get(name, "").strip()
    hours = dict(default)
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key not in default:
            raise ImproperlyConfigured(f"{name}: {key!r} is not one of {', '.join(default)}")
        try:
            hours[key] = int(value)
        except ValueError:
            got = value.strip()
            raise ImproperlyConfigured(f"{name}: {key} must be a whole number of hours, got {got!r}") from None
        if hours[key] < 1:
            raise ImproperlyConfigured(f"{name}: {key} must be at least 1 hour, got {hours[key]}")
    return hours
