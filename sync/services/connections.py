"""Creating and changing connections: validated settings, a safe base URL, a write-only token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_changes, audit_record
from core.redact import redact
from core.safe_urls import clean_server_url
from sync.config import build_config
from sync.connectors import connector_for
from sync.connectors.base import ConnectorError, remote_reason
from sync.connectors.registry import CONNECTORS
from sync.models import Connection, ExternalIssue

SECRET_FIELDS = ("token", "webhook_secret")
EDITABLE = (
    "name", "kind", "base_url", "token", "project", "status_map", "priority_map", "version_map",
    "webhook_secret", "enabled", "request_type", "request_status_map",
)


def validate_base_url(url: str) -> str:
    """The tracker's URL, cleaned by core.safe_urls.clean_server_url; errors keyed by base_url.

    The host is resolved and every address it resolves to is checked, so a
    public name pointing at 127.0.0.1 is refused too; connectors check again
    at request time (DNS can change after the connection is saved).
    """
    limit = Connection._meta.get_field("base_url").max_length
    if isinstance(url, str) and len(url.strip()) > limit:
        raise ValidationError({"base_url": f"A tracker URL may be at most {limit} characters."})
    try:
        return clean_server_url(url)
    except ValidationError as exc:
        raise ValidationError({"base_url": exc.messages}) from None


def _clean(values: dict[str, Any], *, current: Connection | None) -> dict[str, Any]:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise ValidationError({k: "This field cannot be set." for k in unknown})
    errors: dict[str, list[str]] = {}
    clean = dict(values)
    kind = clean.get("kind", current.kind if current else Connection.Kind.REDMINE)
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
            request_status_map=clean.get("request_status_map", current.request_status_map if current else {}),
            request_type=clean.get("request_type", current.request_type if current else ""),
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if isinstance(clean.get("request_type"), str):
        clean["request_type"] = clean["request_type"].strip()
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
    audit_record(
        obj=connection, actor=actor, channel=channel, action="created", new=f"{connection.kind} {connection.base_url}"
    )
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


@transaction.atomic
def connection_delete(*, connection: Connection, actor, channel: str) -> None:
    """Delete a connection that no defect or request is linked through. Raises ValidationError otherwise.

    A connection with linked issues is refused rather than deleted: deleting would
    drop the links, the field sources and the comment ledger with it, and a later
    connection to the same project would create every issue again. Switching it
    off (enabled=False) keeps all of that and stops the sync.
    """
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    linked = ExternalIssue.objects.filter(connection=connection).count()
    if linked:
        raise ValidationError(
            f"{linked} defect(s) or request(s) are linked through {connection.name}; switch it off instead, "
            "which stops the sync and keeps the links."
        )
    audit_record(obj=connection, actor=actor, channel=channel, action="deleted",
                 old=f"{connection.kind} {connection.base_url}")
    connection.delete()


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    found: dict[str, str]
    error: str = ""


def connection_probe(*, connection: Connection) -> ProbeResult:
    """Call the tracker with the connection's settings and report what it found, or the cleaned error.

    Reads only: the project (or repository) and the account the token acts as.
    The token never appears in the answer.
    """
    try:
        connector = connector_for(connection)
        if not hasattr(connector, "probe"):
            return ProbeResult(ok=False, found={}, error=f"{connection.get_kind_display()} cannot be tested here yet.")
        found = connector.probe()
    except ConnectorError as exc:
        return ProbeResult(ok=False, found={}, error=redact(exc.message, connection.token))
    except ValidationError as exc:
        return ProbeResult(ok=False, found={}, error="; ".join(exc.messages))
    except Exception as exc:  # an unexpected answer: say what kind, never the remote body
        return ProbeResult(ok=False, found={}, error=f"The tracker could not be read ({type(exc).__name__}).")
    return ProbeResult(ok=True, found={k: remote_reason(v) for k, v in found.items()})
