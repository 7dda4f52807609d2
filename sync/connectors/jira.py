"""Jira connector: Jira Cloud / Data Center REST API v2, with signed webhooks.

Plain HTTP with requests rather than the `jira` package: that client retries
429s by sleeping inside the call (the outbox must do the waiting, with the row
backed off and the worker free), reads server info and field metadata on its
own, and its search follows whichever endpoint its version knows. Six REST
calls are all this connector needs, and here each one's status is mapped to
retry, pause or reject in one place.

How the portal's ideas land in Jira:
- the connection's project is the project key, optionally with the issue type
  after a colon ("HD" or "HD:Task"; Bug by default); an enhancement request's
  issue has the connection's request type (Story by default);
- the token is an API token as "email:token" (Cloud, Basic auth) or a personal
  access token (Data Center, Bearer);
- status is reached through the workflow's transitions: the one offered now,
  else the shortest path of offered transitions (breadth-first over the
  transitions Jira lists at each status, learned as the issue moves, at most
  MAX_TRANSITIONS moves); a status no path leads to is an UnreachableStatus,
  recorded as a conflict on the defect;
- the planned or fixed-in release is fixVersions; the portal key travels as the
  label "handoff-<key>" (searchable, so a repeated create finds the first) and a
  remote link back to the portal defect; the issue also gets the label
  "handoff-sig-<installation>-<signature>", and a repeated create adopts only an
  issue our own account created that carries it;
- a pushed comment carries its marker and its Jira id is kept, so an edit in
  Handoff updates it in place (PUT .../comment/{id}) and a deletion deletes it;
  comment_updated and comment_deleted webhooks do the same the other way; an attachment is known again by its file
  name and size, since Jira attachments have no description to carry one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from core.installation import defect_signature, signature_matches
from core.safe_urls import GuardedSession
from sync.connectors.base import (
    DELETED_IN_HANDOFF,
    Connector,
    ConnectorError,
    OutboundChange,
    PullResult,
    RejectedChange,
    TrackerComment,
    TrackerIssue,
    TwinRef,
    UnreachableStatus,
    WebhookRejected,
    answer_error,
    carries_comment_marker,
    comment_marker,
    has_marker,
    remote_reason,
    transport_error,
)
from sync.connectors.signed import verify_signed
from sync.ratelimit import RateGate
from sync.services.settings import http_timeout

API = "rest/api/2"
LABEL_PREFIX = "handoff-"
SIGNATURE_LABEL_PREFIX = "handoff-sig-"
READ_FIELDS = ["summary", "status", "priority", "fixVersions", "labels", "comment", "updated"]
# The most transitions one status change may walk through.
MAX_TRANSITIONS = 6
# Transitions seen at each status, per workflow (site, project, issue type): status -> {to: transition id}.
_workflows: dict[tuple[str, str, str], dict[str, dict[str, str]]] = {}
# Seconds of clock difference between us and Jira that a poll still covers.
POLL_OVERLAP_MINUTES = 2


def _jira_time(raw: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(raw, fmt)
        except (TypeError, ValueError):
            continue
    try:
        return datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


def shortest_route(graph: Mapping[str, Mapping[str, str]], start: str, goal) -> list[tuple[str, str]]:
    """Breadth-first over known transitions: [(transition id, to status)] from `start` to the
    first status for which `goal(status)` holds, or [] when none is known to lead there."""
    queue: list[tuple[str, list[tuple[str, str]]]] = [(start, [])]
    seen = {start.lower()}
    while queue:
        status, route = queue.pop(0)
        for to, tid in (graph.get(status.lower()) or {}).items():
            if to.lower() in seen:
                continue
            step = [*route, (tid, to)]
            if goal(to):
                return step
            seen.add(to.lower())
            queue.append((to, step))
    return []


class JiraConnector(Connector):
    kind = "jira"
    supports_webhooks = True
    # Jira retries a failed delivery by itself for some hours; 3 days covers that with room.
    redelivery_window = timedelta(days=3)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        key, _, issue_type = self.project.partition(":")
        self.project_key = key.strip()
        self.issue_type = issue_type.strip() or "Bug"
        self.timeout = http_timeout()
        self.session = GuardedSession()
        self.session.headers.update({"Accept": "application/json"})
        if ":" in self.token:
            email, _, secret = self.token.partition(":")
            self.session.auth = (email, secret)
        else:
            self.session.headers["Authorization"] = f"Bearer {self.token}"
        self.gate = RateGate(base_url=self.base_url, token=self.token, tracker="Jira")

    # ------------------------------------------------------------------ HTTP
    def _call(self, method: str, path: str, **kwargs) -> Any:
        """One REST call; its status sorted into retry (429/5xx), pause (401/403/404/410) or reject."""
        url = f"{self.base_url}/{API}/{path}"
        with self.gate.slot():
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:  # the outbound guard's UnsafeRemote is one too
                raise transport_error("Jira", exc, where=f"{method} /{API}/{path}") from None
        wait = self.gate.note_headers(response.headers)
        code = response.status_code
        where = f"{method} /{API}/{path.split('?')[0]}"
        if code >= 400:
            raise answer_error(
                "Jira", code, where=where, retry_after=wait, refused=f"Jira refused {where}: {self._messages(response)}"
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"Jira answered {where} with something that is not JSON.") from None

    @staticmethod
    def _messages(response: requests.Response) -> str:
        """Jira's ErrorCollection ({"errorMessages": [...], "errors": {field: message}}) as one short line.

        Anything else (an HTML error page, a proxy's body) is reduced to its status and
        reason phrase: a remote body is never shown to the engineer.
        """
        status = remote_reason(f"HTTP {response.status_code} {response.reason or ''}")
        try:
            body = response.json()
        except ValueError:
            return status
        if not isinstance(body, dict):
            return status
        messages = body.get("errorMessages")
        errors = body.get("errors")
        parts = [str(m) for m in messages] if isinstance(messages, list) else []
        if isinstance(errors, dict):
            parts += [f"{name}: {text}" for name, text in errors.items()]
        return remote_reason("; ".join(parts)) or status

    # ------------------------------------------------------------------ shapes
    def _twin(self, issue_id: str, key: str) -> TwinRef:
        return TwinRef(external_id=str(issue_id), key=key, url=f"{self.base_url}/browse/{key}")

    @staticmethod
    def _label(defect_key: str) -> str:
        return f"{LABEL_PREFIX}{defect_key}"

    @staticmethod
    def _signature_label(defect_key: str) -> str:
        # Labels take no spaces and read better without a colon.
        return SIGNATURE_LABEL_PREFIX + defect_signature(defect_key).replace(":", "-")

    @staticmethod
    def _signed(labels: list[str], defect_key: str) -> bool:
        return any(
            signature_matches(defect_key, label[len(SIGNATURE_LABEL_PREFIX):].replace("-", ":", 1))
            for label in labels if label.startswith(SIGNATURE_LABEL_PREFIX)
        )

    def _tracker_issue(self, issue: dict[str, Any], comments: tuple[TrackerComment, ...] | None = None) -> TrackerIssue:
        """An issue from the API or a webhook. Only the fields present are reported:
        a comment event carries a trimmed issue, and a missing field is no change."""
        raw = issue.get("fields") or {}
        fields: dict[str, str | None] = {}
        if raw.get("status"):
            fields["status"] = raw["status"]["name"]
        if raw.get("priority"):
            fields["priority"] = raw["priority"]["name"]
        if "fixVersions" in raw:
            versions = raw["fixVersions"] or []
            fields["version"] = versions[-1]["name"] if versions else None
        if "summary" in raw:
            fields["title"] = raw["summary"]
        if comments is None:
            comments = tuple(self._comment(c) for c in (raw.get("comment") or {}).get("comments", []))
        portal_key = next(
            (label[len(LABEL_PREFIX):] for label in raw.get("labels") or []
             if label.startswith(LABEL_PREFIX) and not label.startswith(SIGNATURE_LABEL_PREFIX)), ""
        )
        return TrackerIssue(
            twin=self._twin(issue["id"], issue["key"]), updated_at=raw.get("updated", ""),
            portal_key=portal_key, fields=fields, comments=comments,
        )

    @staticmethod
    def _comment(comment: dict[str, Any], *, deleted: bool = False) -> TrackerComment:
        # An edit keeps the comment's id: the portal twin is updated in place.
        author = (comment.get("author") or {}).get("displayName", "")
        return TrackerComment(id=str(comment["id"]), body=comment.get("body", ""), author=author, deleted=deleted)

    # ------------------------------------------------------------------ push
    def push(self, change: OutboundChange) -> TwinRef:
        if change.kind == "create":
            return self._create(change)
        twin = change.twin
        assert twin is not None, "only a create has no twin"
        if change.kind == "comment_edit":
            self._call("PUT", f"issue/{twin.external_id}/comment/{change.comment_ref}",
                       json={"body": f"{change.comment}\n\n{comment_marker(change.source_id or 0)}"})
        elif change.kind == "comment_delete":
            self._delete_comment(twin, change)
        elif change.comment:
            self._add_comment(twin, change)
        elif change.file is not None:
            self._attach(twin, change)
        elif change.fields:
            self._update(twin, change.fields, self._issue_type(change))
        else:
            # Nothing to set: make sure the issue carries the portal key and link (after linking an existing issue).
            self._call("PUT", f"issue/{twin.external_id}",
                       json={"update": {"labels": [{"add": self._label(change.defect_key)}]}})
            self._remote_link(twin, change)
        return twin

    def _edit_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        edit: dict[str, Any] = {}
        if "title" in fields:
            edit["summary"] = fields["title"][:255]
        if "description" in fields:
            edit["description"] = fields["description"]
        if "priority" in fields:
            edit["priority"] = {"name": fields["priority"]}
        if "version" in fields:
            edit["fixVersions"] = [{"name": fields["version"]}] if fields["version"] else []
        return edit

    def _issue_type(self, change: OutboundChange) -> str:
        return self.config.request_type if change.is_request else self.issue_type

    def _update(self, twin: TwinRef, fields: Mapping[str, Any], issue_type: str) -> None:
        edit = self._edit_fields(fields)
        if edit:
            self._call("PUT", f"issue/{twin.external_id}", json={"fields": edit})
        if fields.get("status"):
            self._reach_status(twin, fields["status"], issue_type)

    def _transitions(self, twin: TwinRef) -> dict[str, str]:
        """The transitions Jira offers from the issue's current status: {to status: transition id}."""
        listed = self._call("GET", f"issue/{twin.external_id}/transitions")["transitions"]
        return {(t.get("to") or {}).get("name", ""): str(t["id"]) for t in listed if (t.get("to") or {}).get("name")}

    def _reach_status(self, twin: TwinRef, target: str, issue_type: str) -> None:
        """Move the issue to `target` by the shortest path of transitions the workflow offers.

        Jira lists only the transitions out of the current status, so the graph is
        learned as the issue moves (and kept for the next issue of the workflow):
        at each status, take the first step of the shortest known route to the
        target, or, when none is known, of the shortest route to the nearest
        status whose transitions are not known yet. Raises UnreachableStatus
        after MAX_TRANSITIONS moves or when no known or unexplored status is left.
        """
        current = self._call("GET", f"issue/{twin.external_id}", params={"fields": "status"})
        now = current["fields"]["status"]["name"]
        graph = _workflows.setdefault((self.base_url, self.project_key, issue_type.lower()), {})
        moves = 0
        while now.lower() != target.lower():
            offered = self._transitions(twin)
            graph[now.lower()] = offered  # what Jira offers now replaces what was learned before
            route = shortest_route(graph, now, lambda status: status.lower() == target.lower())
            if not route:
                route = shortest_route(graph, now, lambda status: status.lower() not in graph)
            if not route or moves >= MAX_TRANSITIONS:
                shown = ", ".join(sorted(offered)) or "none"
                raise UnreachableStatus(
                    f"Jira's workflow offers no path to {target} for {twin.key} within {MAX_TRANSITIONS} "
                    f"transitions (it stopped at {now}, which offers: {shown}).",
                    target=target, reached=now,
                )
            transition_id, to = route[0]
            self._call("POST", f"issue/{twin.external_id}/transitions", json={"transition": {"id": transition_id}})
            moves += 1
            now = to

    @staticmethod
    def _account(user: Mapping[str, Any] | None) -> str:
        """A user's stable identity: accountId on Cloud, key or name on Data Center."""
        user = user or {}
        return str(user.get("accountId") or user.get("key") or user.get("name") or "")

    def own_account(self) -> str:
        """The account the token acts as (GET /myself)."""
        if not hasattr(self, "_own_account"):
            self._own_account = self._account(self._call("GET", "myself"))
        return self._own_account

    def probe(self) -> dict[str, str]:
        """What the connection reaches: the project (GET /project/{key}) and the token's account (GET /myself)."""
        project = self._call("GET", f"project/{self.project_key}") or {}
        me = self._call("GET", "myself") or {}
        return {"project": f"{project.get('key', '')} · {project.get('name', '')}",
                "account": str(me.get("displayName") or me.get("emailAddress") or self._account(me))}

    def find_by_key(self, key: str) -> TwinRef | None:
        """The issue an earlier create of `key` made: labelled with the key, created by our own
        account, and carrying this installation's signature label. Anyone who may create issues
        in the project can label one with a key; only we can sign it."""
        jql = f'project = "{self.project_key}" AND labels = "{self._label(key)}" ORDER BY created ASC'
        found = self._call("POST", "search/jql", json={
            "jql": jql, "fields": ["labels", "creator", "reporter"], "maxResults": 50,
        })
        for issue in found.get("issues", []):
            fields = issue.get("fields") or {}
            labels = fields.get("labels") or []
            if self._label(key) not in labels or not self._signed(labels, key):
                continue
            # The creator cannot be changed afterwards; older servers report only the reporter.
            author = self._account(fields.get("creator") or fields.get("reporter"))
            if author and author == self.own_account():
                return self._twin(issue["id"], issue["key"])
        return None

    def _create(self, change: OutboundChange) -> TwinRef:
        fields = dict(change.fields)
        twin = self.find_by_key(change.defect_key)
        if twin is None:
            data = {
                "project": {"key": self.project_key},
                "issuetype": {"name": self._issue_type(change)},
                "labels": [self._label(change.defect_key), self._signature_label(change.defect_key)],
                **self._edit_fields({k: v for k, v in fields.items() if k != "version" or v}),
            }
            if fields.get("component"):
                data["components"] = [{"name": fields["component"]}]
            try:
                made = self._call("POST", "issue", json={"fields": data})
            except RejectedChange as exc:
                if "components" not in data or "components:" not in exc.message:
                    raise
                # The portal's component has no namesake in Jira: the issue matters more than the field.
                data.pop("components")
                made = self._call("POST", "issue", json={"fields": data})
            twin = self._twin(made["id"], made["key"])
        # A repeated create (the first stopped half-way) finishes the same steps; each is idempotent.
        self._remote_link(twin, change)
        if fields.get("status"):
            self._reach_status(twin, fields["status"], self._issue_type(change))
        return twin

    def _remote_link(self, twin: TwinRef, change: OutboundChange) -> None:
        # The globalId makes this an update when the link exists already.
        self._call("POST", f"issue/{twin.external_id}/remotelink", json={
            "globalId": f"handoff:{change.defect_key}",
            "application": {"type": "handoff", "name": "Handoff"},
            "object": {"url": change.defect_url, "title": f"{change.defect_key} in Handoff"},
        })

    def _add_comment(self, twin: TwinRef, change: OutboundChange) -> None:
        marker = comment_marker(change.source_id or 0)
        if change.attempt > 1:  # only a later try can follow one that got through unseen
            recent = self._call("GET", f"issue/{twin.external_id}/comment",
                                params={"orderBy": "-created", "maxResults": 100})
            for comment in recent.get("comments", []):
                if carries_comment_marker(comment.get("body"), change.source_id or 0):
                    self.posted_comment_id = str(comment["id"])
                    return  # an earlier try got through
        made = self._call("POST", f"issue/{twin.external_id}/comment", json={"body": f"{change.comment}\n\n{marker}"})
        self.posted_comment_id = str((made or {}).get("id") or "")

    def _delete_comment(self, twin: TwinRef, change: OutboundChange) -> None:
        """DELETE the comment; one already gone (a repeated try, or deleted in Jira too) is done.
        Only when Jira refuses the deletion is the comment edited to say it was deleted."""
        path = f"issue/{twin.external_id}/comment/{change.comment_ref}"
        try:
            self._call("DELETE", path)
        except RejectedChange:
            self._call("PUT", path, json={"body": f"{DELETED_IN_HANDOFF}\n\n{comment_marker(change.source_id or 0)}"})
        except ConnectorError as exc:
            if not exc.gone:
                raise

    def _attach(self, twin: TwinRef, change: OutboundChange) -> None:
        file = change.file
        assert file is not None
        issue = self._call("GET", f"issue/{twin.external_id}", params={"fields": "attachment"})
        for existing in (issue.get("fields") or {}).get("attachment") or []:
            if existing.get("filename") == file.name and existing.get("size") == len(file.data):
                return
        # Jira refuses multipart uploads without this header (XSRF protection).
        self._call("POST", f"issue/{twin.external_id}/attachments",
                   headers={"X-Atlassian-Token": "no-check"},
                   files={"file": (file.name, file.data, file.content_type)})

    # ------------------------------------------------------------------ read
    def fetch(self, twin: TwinRef) -> TrackerIssue:
        issue = self._call("GET", f"issue/{twin.external_id}", params={"fields": ",".join(READ_FIELDS)})
        return self._tracker_issue(issue)

    def lookup(self, reference: str) -> TrackerIssue:
        """An existing issue named by key ("HD-12") or browse URL (".../browse/HD-12")."""
        key = reference.strip().rstrip("/").rsplit("/", 1)[-1].split("?")[0].upper()
        if "-" not in key or not key.split("-")[-1].isdigit():
            raise RejectedChange(f"{reference!r} is not a Jira issue key or URL.")
        issue = self._call("GET", f"issue/{key}", params={"fields": ",".join([*READ_FIELDS, "project"])})
        project = ((issue.get("fields") or {}).get("project") or {}).get("key")
        if project and project != self.project_key:
            raise RejectedChange(f"{issue['key']} is in project {project}, not {self.project_key}.")
        return self._tracker_issue(issue)

    def pull(self, cursor: str) -> PullResult:
        """Issues updated since the cursor. JQL dates are read in the Jira user's time zone, so
        the bound is relative ("-N m"), which needs no time zone, with a little overlap."""
        jql = f'project = "{self.project_key}"'
        since = _jira_time(cursor) if cursor else None
        if since is not None:
            minutes = math.ceil((datetime.now(UTC) - since).total_seconds() / 60) + POLL_OVERLAP_MINUTES
            jql += f' AND updated >= "-{max(minutes, 1)}m"'
        body: dict[str, Any] = {"jql": f"{jql} ORDER BY updated ASC", "fields": READ_FIELDS, "maxResults": 100}
        issues: list[TrackerIssue] = []
        newest = since
        while True:
            page = self._call("POST", "search/jql", json=body)
            for raw in page.get("issues", []):
                issue = self._tracker_issue(raw)
                issues.append(issue)
                moment = _jira_time(issue.updated_at)
                if moment is not None and (newest is None or moment > newest):
                    newest = moment
            if page.get("isLast", True) or not page.get("nextPageToken"):
                break
            body["nextPageToken"] = page["nextPageToken"]
        return PullResult(issues=tuple(issues), cursor=newest.isoformat() if newest else cursor)

    # ------------------------------------------------------------------ webhooks
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, secret: str) -> str:
        """X-Hub-Signature: sha256=<HMAC of the body>; the delivery id is X-Atlassian-Webhook-Identifier."""
        return verify_signed(headers=headers, body=body, secret=secret, signature_header="X-Hub-Signature",
                             delivery_header="X-Atlassian-Webhook-Identifier")

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> tuple[TrackerIssue, ...]:
        try:
            payload = json.loads(body)
            event = payload["webhookEvent"]
            if event in ("jira:issue_created", "jira:issue_updated"):
                return (self._tracker_issue(payload["issue"]),)
            if event in ("comment_created", "comment_updated", "comment_deleted"):
                comment = payload["comment"]
                if event != "comment_deleted" and has_marker(comment.get("body")):
                    return (self._tracker_issue(payload["issue"], comments=()),)
                found = self._comment(comment, deleted=event == "comment_deleted")
                return (self._tracker_issue(payload["issue"], comments=(found,)),)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WebhookRejected(f"Unreadable Jira delivery: {type(exc).__name__}: {exc}", status=400) from None
        return ()  # an event we do not sync (issue deleted, worklog, ...)
