"""Turning an outbox row into the tracker's terms (an OutboundChange).

A defect's row carries its fields, sections, severity, releases, comments and
files; an enhancement request's carries its title, its description (the
customer's problem, then the workaround), its status and its comments. The
request is read through the row's foreign key: its app sits above this one.
"""

from __future__ import annotations

import re

from django.urls import NoReverseMatch, reverse

from defects.models import Attachment, Defect
from sync.config import ConnectionConfig
from sync.connectors.base import OutboundChange, OutboundFile, TwinRef
from sync.models import ExternalIssue, OutboxItem, SyncLedger
from sync.services.settings import portal_base_url

Kind = OutboxItem.Kind


def defect_url(defect: Defect) -> str:
    try:
        path = reverse("defects:detail", args=[defect.pk])
    except NoReverseMatch:  # the pages are not wired in this deployment
        path = f"/defects/{defect.pk}/"
    return portal_base_url() + path


def request_url(request) -> str:
    """The page of an enhancement request."""
    try:
        path = reverse("enhancements:detail", args=[request.pk])
    except NoReverseMatch:
        path = f"/requests/{request.pk}/"
    return portal_base_url() + path


# The request's description in a tracker: the customer's problem, then this section.
WORKAROUND_HEADING = "Workaround today:"


def request_description(request) -> str:
    """What a request's issue says: the customer's problem or goal, then the workaround when there is one."""
    parts = [request.problem.strip()]
    if request.workaround.strip():
        parts.append(f"{WORKAROUND_HEADING}\n{request.workaround.strip()}")
    return normalize_text("\n\n".join(p for p in parts if p))


def request_create_fields(request, config: ConnectionConfig) -> dict:
    return {
        "title": request.title,
        "description": request_description(request),
        "status": config.tracker_request_status(request.status),
        "component": request.component.name if request.component_id else None,
    }


def twin_ref(twin: ExternalIssue | None) -> TwinRef | None:
    if twin is None:
        return None
    return TwinRef(external_id=twin.external_id, key=twin.key, url=twin.url)


def _version_of(defect: Defect, config: ConnectionConfig) -> str | None:
    # Redmine-like trackers have one target version: the fixed-in release once
    # there is one, the planned release before that.
    release = defect.fixed_in_release or defect.planned_release
    return config.tracker_version(release.version if release else None)


def create_fields(defect: Defect, config: ConnectionConfig) -> dict:
    return {
        "title": defect.title,
        "description": defect_description(defect),
        "priority": config.tracker_priority(defect.severity),
        "status": config.tracker_status(defect.status),
        "version": _version_of(defect, config),
        # Only set on create (Jira's component); trackers without one ignore it.
        "component": defect.component.name if defect.component_id else None,
    }


# The sections of a tracker description, in order, and the defect field each holds.
# The summary (defect.description) comes first, before any heading.
SECTIONS = (
    ("Steps to reproduce", "steps_to_reproduce"),
    ("Expected result", "expected_result"),
    ("Actual result", "actual_result"),
    ("Environment", "environment"),
)
HEADING_RE = re.compile(
    r"^(" + "|".join(re.escape(label) for label, _ in SECTIONS) + r"):[ \t]*$", re.IGNORECASE | re.MULTILINE
)


def normalize_text(text: str | None) -> str:
    """A description as both sides compare it: Unix line ends, no trailing spaces, stripped."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def defect_description(defect: Defect) -> str:
    """The tracker description: the summary, then a "Label:" heading line and text per non-empty section.

    description_sections reads it back, so an edit made in the tracker can be applied.
    """
    parts = [defect.description.strip()]
    for label, name in SECTIONS:
        text = getattr(defect, name)
        if text.strip():
            parts.append(f"{label}:\n{text.strip()}")
    return normalize_text("\n\n".join(p for p in parts if p))


def description_sections(text: str | None) -> dict[str, str]:
    """The defect fields a tracker description holds: the inverse of defect_description.

    Text before the first heading is the summary (`description`); each heading
    line ("Steps to reproduce:", any case, alone on its line) starts its
    section. A section that is absent is empty, so deleting it in the tracker
    clears it; text with no heading at all is all summary. A heading named
    twice keeps both texts, in order.
    """
    text = normalize_text(text)
    found = {"description": "", **{name: "" for _, name in SECTIONS}}
    names = {label.lower(): name for label, name in SECTIONS}
    headings = list(HEADING_RE.finditer(text))
    found["description"] = text[: headings[0].start()].strip() if headings else text
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        name = names[heading.group(1).lower()]
        body = text[heading.end():end].strip()
        found[name] = f"{found[name]}\n\n{body}".strip() if found[name] else body
    return found


def _signed_comment(payload: dict) -> str:
    author = payload.get("author") or "Someone"
    return f"{payload.get('body', '')}\n\n-- {author}, in Handoff"


def build_request_change(
    item: OutboxItem, twin: ExternalIssue | None, config: ConnectionConfig
) -> OutboundChange | None:
    """The change an enhancement request's row sends: create, title and description, status, comment."""
    request = item.request
    base = {
        "kind": item.kind, "defect_key": request.key, "defect_url": request_url(request), "twin": twin_ref(twin),
        "attempt": item.attempts, "subject": "request",
    }
    payload = item.payload or {}
    if item.kind == Kind.CREATE:
        return OutboundChange(**base, fields=request_create_fields(request, config))
    if item.kind == Kind.FIELDS:
        fields = {}
        if "title" in payload:
            fields["title"] = request.title
        if "description" in payload:
            fields["description"] = request_description(request)
        return OutboundChange(**base, fields=fields)
    if item.kind == Kind.STATUS:
        return OutboundChange(**base, fields={"status": config.tracker_request_status(payload["status"])})
    if item.kind == Kind.COMMENT:
        return OutboundChange(**base, comment=_signed_comment(payload), source_id=payload["comment_id"])
    return None  # nothing else of a request travels


def build_change(item: OutboxItem, twin: ExternalIssue | None, config: ConnectionConfig) -> OutboundChange | None:
    """The change to send, or None when there is nothing left to send (e.g. a deleted attachment)."""
    if item.request_id:
        return build_request_change(item, twin, config)
    defect = item.defect
    base = {
        "kind": item.kind,
        "defect_key": defect.key,
        "defect_url": defect_url(defect),
        "twin": twin_ref(twin),
        "attempt": item.attempts,
    }
    payload = item.payload or {}
    if item.kind == Kind.CREATE:
        return OutboundChange(**base, fields=create_fields(defect, config))
    if item.kind == Kind.FIELDS:
        fields = {}
        if "title" in payload:
            fields["title"] = defect.title
        if "description" in payload:
            fields["description"] = defect_description(defect)
        return OutboundChange(**base, fields=fields)
    if item.kind == Kind.SEVERITY:
        return OutboundChange(**base, fields={"priority": config.tracker_priority(payload["severity"])})
    if item.kind == Kind.STATUS:
        return OutboundChange(**base, fields={"status": config.tracker_status(payload["status"])})
    if item.kind == Kind.RELEASE:
        version = payload.get("fixed_in_release") or payload.get("planned_release")
        return OutboundChange(**base, fields={"version": config.tracker_version(version)})
    if item.kind == Kind.COMMENT:
        return OutboundChange(**base, comment=_signed_comment(payload), source_id=payload["comment_id"])
    if item.kind in (Kind.COMMENT_EDIT, Kind.COMMENT_DELETE):
        # The tracker's id of the comment, kept when it was pushed there; a comment that
        # never reached this tracker (or came from it) has nothing to change there.
        ledger = SyncLedger.objects.filter(
            connection_id=item.connection_id, direction=SyncLedger.Direction.OUTBOUND,
            thread=SyncLedger.Thread.DEFECT, comment_id=payload.get("comment_id"),
        ).exclude(external_id="").first()
        if ledger is None:
            return None
        body = _signed_comment(payload) if item.kind == Kind.COMMENT_EDIT else ""
        return OutboundChange(**base, comment=body, source_id=payload["comment_id"], comment_ref=ledger.external_id)
    if item.kind == Kind.ATTACHMENT:
        attachment = Attachment.objects.filter(pk=payload.get("attachment_id")).first()
        if attachment is None:
            return None
        with attachment.file.open("rb") as handle:
            data = handle.read()
        return OutboundChange(
            **base,
            file=OutboundFile(name=attachment.name, content_type=attachment.content_type, data=data),
            source_id=attachment.pk,
        )
    raise ValueError(f"Unknown outbox kind {item.kind!r}")


# Which snapshot key each kind moves, for conflict checks and echo suppression.
FIELD_OF_KIND = {Kind.STATUS: "status", Kind.SEVERITY: "priority", Kind.RELEASE: "version"}
KIND_OF_FIELD = {v: k for k, v in FIELD_OF_KIND.items()}
