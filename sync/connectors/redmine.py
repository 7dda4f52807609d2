"""Redmine, through python-redmine.

Redmine has no webhooks: changes are polled with
`GET /issues.json?status_id=*&updated_on=>=<cursor>&sort=updated_on`. Its
timestamps have one-second resolution, so the cursor is inclusive and an issue
seen twice is simply applied twice (applying is idempotent). Comments and field
changes are journals. The portal key travels in the issue custom field
"External Ticket ID" when the server has one, otherwise in a footer line of the
description; the footer also carries the installation's signed marker.
Creation looks the key up first, so a repeated create finds the issue made by
the first try, and adopts only an issue whose author is the API key's own
user and whose marker is valid: anyone who may add issues can name a key.
Linking an existing issue writes the same footer (and the custom field) on it.

The description is reported without the footer, so an edit made in Redmine
flows back (the engine reads its sections: summary, steps to reproduce,
expected and actual result, environment). A note pushed from Handoff keeps its
journal id: an edit replaces its notes in place (PUT /journals/{id}.json,
Redmine 5.0 and later); where the server has no such route, a correction note
naming the original is posted once instead. A note edited in Redmine does not
mark its issue updated, so the poll would not see the edit: each poll also
reads a few linked issues again in turn (sync.services.pull.notes_sweep). A
deletion edits the note to "(deleted in Handoff)": a journal cannot be deleted
through the API.

An enhancement request's issue is made in the connection's request tracker
("Feature" by default; a tracker's name or id, which the project must have
enabled) and moves by the request status map; a defect's goes to the
project's first tracker.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import requests
from redminelib import Redmine
from redminelib import exceptions as redmine_errors
from redminelib.engines.sync import SyncEngine

from core.safe_urls import GuardedSession
from sync.connectors.base import (
    DELETED_IN_HANDOFF,
    KEY_RE,
    Connector,
    ConnectorError,
    OutboundChange,
    PullResult,
    RejectedChange,
    TrackerComment,
    TrackerIssue,
    TwinRef,
    answer_error,
    attachment_marker,
    carries_attachment_marker,
    carries_comment_marker,
    carries_defect_marker,
    comment_marker,
    footer,
    remote_reason,
    transport_error,
)
from sync.connectors.base import PERMANENT as BASE_PERMANENT
from sync.ratelimit import parse_retry_after
from sync.services.settings import http_timeout

CUSTOM_FIELD = "External Ticket ID"
# The whole footer at the end of a description, with the "---" rule written when there is no custom field.
FOOTER_BLOCK_RE = re.compile(
    r"(?:\s*\n)?(?:---[ \t]*\r?\n)?Handoff (?:defect|request): \S+ \S+(?: \[handoff:[^\]\s]*\])?\s*$"
)
# Redmine authenticates with an API key, so its permanent answers name the key.
PERMANENT = {**BASE_PERMANENT, 401: "the API key is wrong", 403: "the key may not do this"}
LOOKUP_TTL = 300.0
_lookups: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}


class _Engine(SyncEngine):
    """python-redmine's engine with a timeout, and failures sorted into retry or pause."""

    timeout: float = 10.0

    def __init__(self, **options):
        self.timeout = options.pop("timeout", self.timeout)
        super().__init__(**options)

    @staticmethod
    def create_session(**params):
        # Checks the address of each connection and follows no redirect, so the API key
        # (a header of every request) never reaches another host.
        session = GuardedSession()
        for name, value in params.items():
            setattr(session, name, value)
        return session

    def request(self, method, url, headers=None, params=None, data=None):
        kwargs = self.construct_request_kwargs(method, headers, params, data)
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        where = f"{method.upper()} /{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:  # the outbound guard's UnsafeRemote is one too
            raise transport_error("Redmine", exc, where=where) from None
        code = response.status_code
        # Other refusals are read from the body below, the way python-redmine reads them.
        error = answer_error(
            "Redmine", code, where=where, reasons=PERMANENT,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        if error is not None:
            raise error
        try:
            return self.process_response(response)
        except redmine_errors.ValidationError as exc:
            raise RejectedChange(f"Redmine refused the change: {remote_reason(exc)}") from None
        except redmine_errors.BaseRedmineError as exc:
            raise ConnectorError(f"Redmine answered {code}: {type(exc).__name__}.") from None


class RedmineConnector(Connector):
    kind = "redmine"
    # PUT /journals/{id}.json leaves the issue's updated_on alone.
    edits_comments_silently = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.client = Redmine(self.base_url, key=self.token, engine=_Engine, timeout=http_timeout())

    # ------------------------------------------------------------------ lookups
    def _lookups(self, *, refresh: bool = False) -> dict[str, Any]:
        """Names to ids for statuses, priorities, versions, trackers, and the key field. Cached briefly."""
        cache_key = (self.base_url, self.project)
        hit = _lookups.get(cache_key)
        if hit and not refresh and time.monotonic() - hit[0] < LOOKUP_TTL:
            return hit[1]
        engine = self.client.engine
        url = self.base_url
        project = engine.request("get", f"{url}/projects/{self.project}.json", params={"include": "trackers"})
        project = project["project"]
        statuses = engine.request("get", f"{url}/issue_statuses.json")["issue_statuses"]
        priorities = engine.request("get", f"{url}/enumerations/issue_priorities.json")["issue_priorities"]
        versions = engine.request("get", f"{url}/projects/{self.project}/versions.json")["versions"]
        try:
            fields = engine.request("get", f"{url}/custom_fields.json")["custom_fields"]
        except ConnectorError as exc:
            if not exc.permanent:
                raise
            fields = []  # only administrators may list custom fields: use the footer
        found = {
            "project_id": project["id"],
            "tracker_id": (project.get("trackers") or [{"id": None}])[0]["id"],
            "trackers": {str(t["name"]).lower(): t["id"] for t in project.get("trackers") or []},
            "status": {s["name"].lower(): s["id"] for s in statuses},
            "priority": {p["name"].lower(): p["id"] for p in priorities},
            "version": {v["name"]: v["id"] for v in versions},
            "key_field": next(
                (f["id"] for f in fields if f["name"] == CUSTOM_FIELD and f.get("customized_type") == "issue"), None
            ),
        }
        _lookups[cache_key] = (time.monotonic(), found)
        return found

    def _ids(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Tracker names in `fields` as the ids Redmine wants."""
        look = self._lookups()
        wanted = [("status", fields.get("status")), ("priority", fields.get("priority"))]
        unknown = any(name and name.lower() not in look[what] for what, name in wanted)
        if unknown or (fields.get("version") and fields["version"] not in look["version"]):
            look = self._lookups(refresh=True)  # made in Redmine since we last looked
        out: dict[str, Any] = {}
        if "title" in fields:
            out["subject"] = fields["title"][:255]
        if "status" in fields:
            out["status_id"] = self._id(look, "status", fields["status"])
        if "priority" in fields:
            out["priority_id"] = self._id(look, "priority", fields["priority"])
        if "version" in fields:
            name = fields["version"]
            if name and name not in look["version"]:
                raise RejectedChange(f"Redmine project {self.project} has no version {name!r}.")
            out["fixed_version_id"] = look["version"][name] if name else ""
        return out

    @staticmethod
    def _id(look: dict[str, Any], what: str, name: str) -> int:
        try:
            return look[what][name.lower()]
        except KeyError:
            raise RejectedChange(f"Redmine has no {what} named {name!r}.") from None

    def _request_tracker_id(self) -> int:
        """The project's tracker for enhancement requests: the request type, by name or id."""
        wanted = self.config.request_type.strip()
        for refresh in (False, True):
            trackers = self._lookups(refresh=refresh)["trackers"]
            if wanted.isdigit() and int(wanted) in trackers.values():
                return int(wanted)
            if wanted.lower() in trackers:
                return trackers[wanted.lower()]
        raise RejectedChange(
            f"Redmine project {self.project} has no tracker {wanted!r}: enable it for the project, "
            "or name another in the connection's request type."
        )

    def _issue_url(self, issue_id: int | str) -> str:
        return f"{self.base_url}/issues/{issue_id}"

    def _twin(self, issue_id: int | str) -> TwinRef:
        return TwinRef(external_id=str(issue_id), key=f"#{issue_id}", url=self._issue_url(issue_id))

    # ------------------------------------------------------------------ push
    def push(self, change: OutboundChange) -> TwinRef:
        if change.kind == "create":
            return self._create(change)
        twin = change.twin
        assert twin is not None, "only a create has no twin"
        if change.kind in ("comment_edit", "comment_delete"):
            self._change_note(twin, change)
        elif change.comment:
            self._comment(twin, change)
        elif change.file is not None:
            self._attach(twin, change)
        elif not change.fields:
            self._mark_linked(twin, change)
        elif change.fields:
            fields = dict(change.fields)
            if "description" in fields:
                fields.pop("description")
                self.client.issue.update(
                    int(twin.external_id),
                    description=self._description(change, change.fields["description"]),
                    **self._ids(fields),
                )
            else:
                self.client.issue.update(int(twin.external_id), **self._ids(fields))
        return twin

    @staticmethod
    def without_footer(text: str | None) -> str:
        """A description as people wrote it: the portal's footer (key, link, marker) removed."""
        return FOOTER_BLOCK_RE.sub("", (text or "").replace("\r\n", "\n")).rstrip()

    def _mark_linked(self, twin: TwinRef, change: OutboundChange) -> None:
        """Put the portal key, link and this installation's marker on an issue linked by hand,
        as a new issue gets them; its own text stays. Done again, it changes nothing."""
        issue = self._journals(twin)
        text = self.without_footer(issue.get("description"))
        description = self._description(change, text)
        data: dict[str, Any] = {}
        if description != (issue.get("description") or "").replace("\r\n", "\n").strip():
            data["description"] = description
        key_field = self._lookups()["key_field"]
        if key_field and self._portal_key(issue) != change.defect_key:
            data["custom_fields"] = [{"id": key_field, "value": change.defect_key}]
        if data:
            self.client.issue.update(int(twin.external_id), **data)

    def _description(self, change: OutboundChange, text: str) -> str:
        if self._lookups()["key_field"]:
            return f"{text}\n\n{footer(change)}".strip()
        # Without the custom field, the footer is how the key travels (and is found again).
        return f"{text}\n\n---\n{footer(change)}".strip()

    def own_user_id(self) -> int | None:
        """The id of the user the API key belongs to (GET /users/current.json)."""
        if not hasattr(self, "_own_user_id"):
            found = self.client.engine.request("get", f"{self.base_url}/users/current.json")
            self._own_user_id = ((found or {}).get("user") or {}).get("id")
        return self._own_user_id

    def probe(self) -> dict[str, str]:
        """What the connection reaches: the project (GET /projects/{id}.json) and the key's user."""
        project = self.client.engine.request("get", f"{self.base_url}/projects/{self.project}.json")
        me = self.client.engine.request("get", f"{self.base_url}/users/current.json")
        project, me = (project or {}).get("project") or {}, (me or {}).get("user") or {}
        return {"project": f"{project.get('identifier', '')} · {project.get('name', '')}",
                "account": str(me.get("login") or me.get("id") or "")}

    def find_by_key(self, key: str, subject: str = "defect") -> TwinRef | None:
        """The issue an earlier create of `key` (a "defect" or a "request") made: naming the key,
        written by our own user, with this installation's marker in its description."""
        look = self._lookups()
        params: dict[str, Any] = {"project_id": look["project_id"], "status_id": "*", "sort": "id", "limit": 50}
        if look["key_field"]:
            params[f"cf_{look['key_field']}"] = key
        else:
            params.update({"f[]": "description", "op[description]": "~",
                           "v[description][]": f"Handoff {subject}: {key} "})
        found = self.client.engine.request("get", f"{self.base_url}/issues.json", params=params)["issues"]
        for issue in found:
            if self._portal_key(issue) != key or not carries_defect_marker(issue.get("description"), key):
                continue
            author = (issue.get("author") or {}).get("id")
            if author is not None and author == self.own_user_id():
                return self._twin(issue["id"])
        return None

    def _create(self, change: OutboundChange) -> TwinRef:
        existing = self.find_by_key(change.defect_key, change.subject)
        if existing is not None:
            # An earlier try created it and may have stopped before setting the status.
            fields = {k: v for k, v in change.fields.items() if k in ("status", "priority", "version")}
            self.client.issue.update(int(existing.external_id), **self._ids(fields))
            return existing
        look = self._lookups()
        fields = dict(change.fields)
        description = self._description(change, fields.pop("description", ""))
        status = fields.pop("status", None)
        data = {"project_id": look["project_id"], "description": description, **self._ids(fields)}
        if change.is_request:
            data["tracker_id"] = self._request_tracker_id()
        elif look["tracker_id"]:
            data["tracker_id"] = look["tracker_id"]
        if look["key_field"]:
            data["custom_fields"] = [{"id": look["key_field"], "value": change.defect_key}]
        if data.get("fixed_version_id") == "":
            data.pop("fixed_version_id")
        issue = self.client.issue.create(**data)
        twin = self._twin(issue.id)
        # Redmine creates issues in the tracker's default status; set ours after.
        if status:
            status_id = self._id(look, "status", status)
            if issue.status.id != status_id:
                self.client.issue.update(issue.id, status_id=status_id)
        return twin

    def _journals(self, twin: TwinRef) -> list[dict[str, Any]]:
        issue = self.client.engine.request(
            "get", f"{self.base_url}/issues/{twin.external_id}.json", params={"include": "journals,attachments"}
        )["issue"]
        return issue

    def _note_of(self, twin: TwinRef, comment_id: int) -> str:
        """The id of the journal whose notes carry the marker of portal comment `comment_id`, or ""."""
        for journal in self._journals(twin).get("journals", []):
            if carries_comment_marker(journal.get("notes"), comment_id):
                return str(journal["id"])
        return ""

    def _comment(self, twin: TwinRef, change: OutboundChange) -> None:
        marker = comment_marker(change.source_id or 0)
        if change.attempt > 1:
            found = self._note_of(twin, change.source_id or 0)
            if found:
                self.posted_comment_id = found
                return  # an earlier try got through
        self.client.issue.update(int(twin.external_id), notes=f"{change.comment}\n\n{marker}")
        # Redmine answers an update with no body: the journal's id is read back by its marker.
        self.posted_comment_id = self._note_of(twin, change.source_id or 0)

    def _change_note(self, twin: TwinRef, change: OutboundChange) -> None:
        marker = comment_marker(change.source_id or 0)
        text = change.comment if change.kind == "comment_edit" else DELETED_IN_HANDOFF
        try:
            self.client.engine.request(
                "put", f"{self.base_url}/journals/{change.comment_ref}.json",
                data={"journal": {"notes": f"{text}\n\n{marker}"}},
            )
        except ConnectorError as exc:
            if not exc.gone:
                raise
            # No editable journals on this server (before Redmine 5.0), or the note is gone:
            # say it in a correction note, once (its marker names the edit).
            correction = f"[{marker[1:-1]}:correction:{change.comment_ref}:{len(change.comment)}]"
            if any(correction in (j.get("notes") or "") for j in self._journals(twin).get("journals", [])):
                return
            said = "deleted in Handoff" if change.kind == "comment_delete" else "edited in Handoff"
            self.client.issue.update(
                int(twin.external_id),
                notes=f"Note #{change.comment_ref} was {said}:\n\n{text}\n\n{correction}",
            )

    def _attach(self, twin: TwinRef, change: OutboundChange) -> None:
        marker = attachment_marker(change.source_id or 0)
        if change.attempt > 1:
            issue = self._journals(twin)
            if any(carries_attachment_marker(a.get("description"), change.source_id or 0)
                   for a in issue.get("attachments", [])):
                return  # an earlier try got through
        file = change.file
        assert file is not None
        token = self.client.upload(io.BytesIO(file.data), filename=file.name)["token"]
        self.client.issue.update(
            int(twin.external_id),
            uploads=[{"token": token, "filename": file.name, "content_type": file.content_type,
                      "description": marker}],
        )

    # ------------------------------------------------------------------ read
    def _portal_key(self, issue: dict[str, Any]) -> str:
        for field in issue.get("custom_fields", []):
            if field.get("name") == CUSTOM_FIELD and field.get("value"):
                return str(field["value"])
        match = KEY_RE.search(issue.get("description") or "")
        return match.group(1) if match else ""

    def _tracker_issue(self, issue: dict[str, Any]) -> TrackerIssue:
        comments = tuple(
            TrackerComment(id=str(j["id"]), body=j["notes"], author=(j.get("user") or {}).get("name", ""))
            for j in issue.get("journals", [])
            if (j.get("notes") or "").strip()
        )
        version = issue.get("fixed_version")
        return TrackerIssue(
            twin=self._twin(issue["id"]),
            updated_at=issue.get("updated_on", ""),
            portal_key=self._portal_key(issue),
            fields={
                "status": issue["status"]["name"],
                "priority": issue["priority"]["name"],
                "version": version["name"] if version else None,
                "title": issue.get("subject", ""),
                "description": self.without_footer(issue.get("description")),
            },
            comments=comments,
        )

    def fetch(self, twin: TwinRef) -> TrackerIssue:
        return self._tracker_issue(self._journals(twin))

    def lookup(self, reference: str) -> TrackerIssue:
        """An existing issue by number ("#12", "12") or URL (".../issues/12"), in this project."""
        match = re.search(r"(?:/issues/|#|^)(\d+)(?:\.json)?$", reference.strip().rstrip("/"))
        if not match:
            raise RejectedChange(f"{reference!r} is not a Redmine issue number or URL.")
        issue = self._journals(self._twin(match.group(1)))
        if (issue.get("project") or {}).get("id") != self._lookups()["project_id"]:
            raise RejectedChange(f"Redmine issue #{match.group(1)} is not in project {self.project}.")
        return self._tracker_issue(issue)

    def pull(self, cursor: str) -> PullResult:
        look = self._lookups()
        params: dict[str, Any] = {
            "project_id": look["project_id"], "status_id": "*", "sort": "updated_on", "limit": 100,
        }
        if cursor:
            params["updated_on"] = f">={cursor}"
        issues: list[TrackerIssue] = []
        newest = cursor
        offset = 0
        while True:
            page = self.client.engine.request(
                "get", f"{self.base_url}/issues.json", params={**params, "offset": offset}
            )
            for summary in page["issues"]:
                # Listings carry no journals: read each changed issue in full.
                issues.append(self.fetch(self._twin(summary["id"])))
                newest = max(newest, summary.get("updated_on", "")) if newest else summary.get("updated_on", "")
            offset += len(page["issues"])
            if not page["issues"] or offset >= page.get("total_count", 0):
                break
        return PullResult(issues=tuple(issues), cursor=newest)
