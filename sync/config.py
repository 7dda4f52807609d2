"""A connection's mappings, validated into one typed object.

The JSON columns of Connection are read here and nowhere else. Each kind has
sensible defaults; what a manager writes in a map is laid over them.

Enhancement requests have their own status map and their own issue type (a
Jira issue type, a GitHub or GitLab label, a Redmine tracker). Their statuses
are named here as plain values: the requests app sits above this one (a test
holds the two lists equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from defects.models import Defect
from defects.severity import Severity

if TYPE_CHECKING:
    from sync.models import Connection

S = Defect.Status

DEFAULT_STATUS_MAPS: dict[str, dict[str, str]] = {
    "redmine": {
        S.NEW: "New",
        S.TRIAGE: "New",
        S.IN_PROGRESS: "In Progress",
        S.NEEDS_INFO: "Feedback",
        S.IN_VERIFICATION: "Resolved",
        S.FIXED: "Resolved",
        S.RELEASED: "Closed",
        S.WONT_FIX: "Rejected",
        S.CANNOT_REPRODUCE: "Rejected",
        S.DUPLICATE: "Rejected",
        S.CONVERTED: "Rejected",
    },
    # Jira's default software workflow: To Do, In Progress, Done.
    "jira": {
        S.NEW: "To Do",
        S.TRIAGE: "To Do",
        S.IN_PROGRESS: "In Progress",
        S.NEEDS_INFO: "In Progress",
        S.IN_VERIFICATION: "In Progress",
        S.FIXED: "Done",
        S.RELEASED: "Done",
        S.WONT_FIX: "Done",
        S.CANNOT_REPRODUCE: "Done",
        S.DUPLICATE: "Done",
        S.CONVERTED: "Done",
    },
    # GitHub: the text of a "status: ..." label; closed statuses also close the issue.
    "github": {
        S.NEW: "new",
        S.TRIAGE: "triage",
        S.IN_PROGRESS: "in progress",
        S.NEEDS_INFO: "needs info",
        S.IN_VERIFICATION: "in verification",
        S.FIXED: "fixed",
        S.RELEASED: "released",
        S.WONT_FIX: "won't fix",
        S.CANNOT_REPRODUCE: "cannot reproduce",
        S.DUPLICATE: "duplicate",
        S.CONVERTED: "converted to a request",
    },
    # GitLab: the text of a scoped "status::..." label; closed statuses also close the issue.
    "gitlab": {
        S.NEW: "new",
        S.TRIAGE: "triage",
        S.IN_PROGRESS: "in progress",
        S.NEEDS_INFO: "needs info",
        S.IN_VERIFICATION: "in verification",
        S.FIXED: "fixed",
        S.RELEASED: "released",
        S.WONT_FIX: "won't fix",
        S.CANNOT_REPRODUCE: "cannot reproduce",
        S.DUPLICATE: "duplicate",
        S.CONVERTED: "converted to a request",
    },
}
DEFAULT_PRIORITY_MAPS: dict[str, dict[str, str]] = {
    "redmine": {"S1": "Immediate", "S2": "Urgent", "S3": "High", "S4": "Normal"},
    "jira": {"S1": "Highest", "S2": "High", "S3": "Medium", "S4": "Low"},
    # GitHub: the text of a "severity: ..." label.
    "github": {"S1": "S1", "S2": "S2", "S3": "S3", "S4": "S4"},
    # GitLab: the text of a scoped "severity::..." label.
    "gitlab": {"S1": "S1", "S2": "S2", "S3": "S3", "S4": "S4"},
}

# The statuses of an enhancement request (enhancements.models.EnhancementRequest.Status).
REQUEST_STATUSES = (
    "new", "under_review", "planned", "in_development", "delivered", "declined", "duplicate", "converted",
)
# Label-style names, for trackers whose statuses are labels (and any kind without its own defaults).
_REQUEST_LABELS = {
    "new": "new", "under_review": "under review", "planned": "planned", "in_development": "in development",
    "delivered": "delivered", "declined": "declined", "duplicate": "duplicate", "converted": "converted to a defect",
}
DEFAULT_REQUEST_STATUS_MAPS: dict[str, dict[str, str]] = {
    # Redmine's default statuses; planning happens in Handoff, the work and its end in Redmine.
    "redmine": {
        "new": "New", "under_review": "Feedback", "planned": "New", "in_development": "In Progress",
        "delivered": "Closed", "declined": "Rejected", "duplicate": "Rejected", "converted": "Rejected",
    },
    "jira": {
        "new": "To Do", "under_review": "To Do", "planned": "To Do", "in_development": "In Progress",
        "delivered": "Done", "declined": "Done", "duplicate": "Done", "converted": "Done",
    },
    # GitHub and GitLab: the text of the status label; the closing statuses also close the issue.
    "github": dict(_REQUEST_LABELS),
    "gitlab": dict(_REQUEST_LABELS),
}
# How requests are typed in each tracker, unless the connection says otherwise.
DEFAULT_REQUEST_TYPES = {"jira": "Story", "github": "enhancement", "gitlab": "enhancement", "redmine": "Feature"}
REQUEST_TYPE_MAX = 100
# A tracker status several request statuses share lands on the first of them in this order.
REQUEST_INBOUND_PREFERENCE = (
    "in_development", "planned", "under_review", "new", "delivered", "declined", "duplicate", "converted",
)

# When several portal statuses share one tracker status, a change made in the
# tracker lands on the first of them in this order (unless the defect is already
# in one of them, which is then no change at all).
INBOUND_PREFERENCE = (
    S.IN_PROGRESS, S.NEEDS_INFO, S.FIXED, S.IN_VERIFICATION, S.TRIAGE, S.NEW,
    S.WONT_FIX, S.CANNOT_REPRODUCE, S.DUPLICATE, S.RELEASED, S.CONVERTED,
)


@dataclass(frozen=True)
class ConnectionConfig:
    status_map: Mapping[str, str]
    priority_map: Mapping[str, str]
    version_map: Mapping[str, str]
    # Enhancement requests: request status -> tracker status, and how their issues are typed.
    request_status_map: Mapping[str, str] = field(default_factory=lambda: dict(_REQUEST_LABELS))
    request_type: str = "enhancement"

    def tracker_status(self, portal_status: str) -> str:
        return self.status_map[portal_status]

    def portal_status(self, tracker_status: str, *, current: str) -> str | None:
        """The portal status a tracker status means; `current` if it already means it."""
        candidates = [s for s, name in self.status_map.items() if name.lower() == (tracker_status or "").lower()]
        if not candidates:
            return None
        if current in candidates:
            return current
        return min(candidates, key=lambda s: INBOUND_PREFERENCE.index(s) if s in INBOUND_PREFERENCE else 99)

    def tracker_priority(self, severity: str) -> str:
        return self.priority_map[severity]

    def portal_severity(self, priority: str, *, current: str) -> str | None:
        candidates = [s for s, name in self.priority_map.items() if name.lower() == (priority or "").lower()]
        if not candidates:
            return None
        return current if current in candidates else sorted(candidates)[0]

    def tracker_version(self, portal_version: str | None) -> str | None:
        if not portal_version:
            return None
        return self.version_map.get(portal_version, portal_version)

    def portal_version(self, tracker_version: str | None) -> str | None:
        if not tracker_version:
            return None
        for portal, name in self.version_map.items():
            if name == tracker_version:
                return portal
        return tracker_version

    def tracker_request_status(self, request_status: str) -> str:
        return self.request_status_map[request_status]

    def portal_request_status(self, tracker_status: str, *, current: str) -> str | None:
        """The request status a tracker status means; `current` if it already means it."""
        wanted = (tracker_status or "").lower()
        candidates = [s for s, name in self.request_status_map.items() if name.lower() == wanted]
        if not candidates:
            return None
        if current in candidates:
            return current
        order = REQUEST_INBOUND_PREFERENCE
        return min(candidates, key=lambda s: order.index(s) if s in order else 99)


def _string_map(name: str, raw, allowed: set[str] | None) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationError({name: "Must be an object mapping names to tracker names."})
    errors = []
    for key, value in raw.items():
        if allowed is not None and key not in allowed:
            errors.append(f"{key!r} is not one of: {', '.join(sorted(allowed))}.")
        if not isinstance(value, str) or not value.strip():
            errors.append(f"{key!r} must map to a non-empty tracker name.")
    if errors:
        raise ValidationError({name: errors})
    return {key: value.strip() for key, value in raw.items()}


def _request_type(kind: str, raw) -> str:
    """The request type, or the kind's default when empty. Labels (GitHub, GitLab) must not look like
    the status or severity labels the portal keeps, and GitLab labels take no comma."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationError({"request_type": "Must be a name."})
    value = raw.strip() or DEFAULT_REQUEST_TYPES.get(kind, "enhancement")
    if len(value) > REQUEST_TYPE_MAX:
        raise ValidationError({"request_type": f"At most {REQUEST_TYPE_MAX} characters."})
    if kind in ("github", "gitlab"):
        if value.lower().startswith(("status:", "severity:")):
            raise ValidationError({"request_type": "This label would be read as a status or a severity."})
        if "," in value:
            raise ValidationError({"request_type": "A label cannot hold a comma."})
    return value


def build_config(
    *, kind: str, status_map, priority_map, version_map, request_status_map=None, request_type=None
) -> ConnectionConfig:
    """Validate the raw maps (ValidationError keyed by field) and lay them over the kind's defaults."""
    errors: dict[str, list[str]] = {}
    maps: dict[str, dict[str, str]] = {}
    for name, raw, allowed in (
        ("status_map", status_map, set(S.values)),
        ("priority_map", priority_map, set(Severity.values)),
        ("version_map", version_map, None),
        ("request_status_map", request_status_map, set(REQUEST_STATUSES)),
    ):
        try:
            maps[name] = _string_map(name, raw, allowed)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        typed = _request_type(kind, request_type)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    statuses = {**DEFAULT_STATUS_MAPS.get(kind, {}), **maps["status_map"]}
    request_statuses = {**DEFAULT_REQUEST_STATUS_MAPS.get(kind, _REQUEST_LABELS), **maps["request_status_map"]}
    priorities = {**DEFAULT_PRIORITY_MAPS.get(kind, {}), **maps["priority_map"]}
    missing = [s for s in S.values if s not in statuses]
    if missing:
        errors["status_map"] = [f"Map every status; missing: {', '.join(missing)}."]
    missing = [s for s in Severity.values if s not in priorities]
    if missing:
        errors["priority_map"] = [f"Map every severity; missing: {', '.join(missing)}."]
    if errors:
        raise ValidationError(errors)
    return ConnectionConfig(
        status_map=statuses, priority_map=priorities, version_map=maps["version_map"],
        request_status_map=request_statuses, request_type=typed,
    )


def connection_config(connection: Connection) -> ConnectionConfig:
    return build_config(
        kind=connection.kind,
        status_map=connection.status_map,
        priority_map=connection.priority_map,
        version_map=connection.version_map,
        request_status_map=connection.request_status_map,
        request_type=connection.request_type,
    )
