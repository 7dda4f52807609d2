"""Creating and changing connections: validated settings, a safe base URL, a write-only token."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from defects.sync.config import build_config
from defects.sync.models import Connection
from handoff.audit import audit_changes, audit_record

SECRET_FIELDS = ("token", "webhook_secret")
EDITABLE = (
    "name", "kind", "base_url", "token", "project", "status_map", "priority_map", "version_map",
    "webhook_secret", "enabled",
)


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


def validate_base_url(url: str) -> str:
    """An http(s) URL whose host is not internal, loopback or private (unless allowed by settings).

    The host is resolved and every address it resolves to is checked, so a
    public name pointing at 127.0.0.1 is refused too.
    """
    parsed = urlparse((url or "").strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValidationError({"base_url": "Enter an http:// or https:// URL."})
    if parsed.username or parsed.password:
        raise ValidationError({"base_url": "Put credentials in the token, not in the URL."})
    if not getattr(settings, "HANDOFF_ALLOW_INTERNAL_URLS", False):
        try:
            infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            raise ValidationError({"base_url": f"{parsed.hostname} does not resolve."}) from None
        if any(_internal(info[4][0].split("%")[0]) for info in infos):
            raise ValidationError(
                {"base_url": "Internal, loopback and private addresses are not allowed for trackers."}
            )
    return url.strip().rstrip("/")


def _clean(values: dict[str, Any], *, current: Connection | None) -> dict[str, Any]:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise ValidationError({k: "This field cannot be set." for k in unknown})
    errors: dict[str, list[str]] = {}
    clean = dict(values)
    kind = clean.get("kind", current.kind if current else Connection.Kind.REDMINE)
    from defects.sync.connectors.registry import CONNECTORS

    if kind not in CONNECTORS:
        errors["kind"] = [f"Choose one of: {', '.join(sorted(CONNECTORS))}."]
    if "base_url" in clean:
        try:
            clean["base_url"] = validate_base_url(clean["base_url"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for name in ("name", "project"):
        if name in clean and not str(clean[name] or "").strip():
            errors[name] = ["This field is required."]
    if current is None and not str(clean.get("token") or "").strip():
        errors["token"] = ["An API token is required."]
    if "token" in clean and current is not None and not str(clean["token"] or "").strip():
        clean.pop("token")  # an empty token on edit keeps the stored one
    try:
        build_config(
            kind=kind,
            status_map=clean.get("status_map", current.status_map if current else {}),
            priority_map=clean.get("priority_map", current.priority_map if current else {}),
            version_map=clean.get("version_map", current.version_map if current else {}),
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean


def _audited(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    # A secret is recorded as changed, never by value.
    return {k: (("(set)", "(changed)") if k in SECRET_FIELDS else v) for k, v in changes.items()}


@transaction.atomic
def connection_create(*, actor, channel: str, **values: Any) -> Connection:
    """Raises ValidationError keyed by field."""
    clean = _clean(values, current=None)
    connection = Connection(**clean)
    connection.full_clean(exclude=["base_url"])
    connection.save()
    audit_record(obj=connection, actor=actor, channel=channel, action="created", new=f"{connection.kind} {connection.base_url}")
    return connection


@transaction.atomic
def connection_update(*, connection: Connection, actor, channel: str, **values: Any) -> Connection:
    """Change only the given fields. Raises ValidationError keyed by field."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    clean = _clean(values, current=connection)
    diff = {k: (getattr(connection, k), v) for k, v in clean.items() if getattr(connection, k) != v}
    for name, (_, value) in diff.items():
        setattr(connection, name, value)
    connection.full_clean(exclude=["base_url"])
    connection.save()
    if diff:
        audit_changes(obj=connection, actor=actor, channel=channel, changes=_audited(diff))
    return connection
