"""GitLab connector: issues of one project through the REST API v4, with token-checked webhooks.

Plain HTTP with requests through the outbound guard rather than python-gitlab:
that client can be handed a session, but by default it sleeps on a 429 inside
the call (the outbox must do the waiting, with the row backed off and the
worker free), and a dozen REST calls are all this connector needs; here each
answer is sorted into retry, pause or reject in one place, as for Jira.

How the portal's ideas land in GitLab:
- the base URL is the instance (https://gitlab.com, or https://HOST); the API
  is under /api/v4. The project is its full path, "group/subgroup/project";
- the token is a personal, project or group access token with the `api` scope,
  sent as PRIVATE-TOKEN;
- GitLab issues have no workflow, only opened and closed: engineering status is
  the scoped label "status::<name>" and severity "severity::<name>" (names
  from the connection's maps). Scoped labels are exclusive by themselves on
  GitLab Premium; on Free they are plain labels, and the connector keeps one
  label per scope. A status the portal counts as closed also closes the issue
  (state_event=close), any other reopens it; an issue closed or reopened in
  GitLab without a matching label reads as fixed or in progress;
- the planned or fixed-in release is the milestone of that title (project or
  group milestone; made in the project when missing);
- the portal key and link are a footer of the description, with the
  installation's signed marker; a repeated create looks among the newest
  issues our own account (GET /user) opened and adopts one only when its
  footer carries the marker for the key;
- a pushed comment is a note with its marker and keeps its GitLab id: an edit
  in Handoff PUTs the note in place, a deletion DELETEs it; a note edited in
  GitLab (a Note Hook with action "update") updates its portal twin in place;
- an attachment is uploaded to the project (POST /uploads) and posted as a
  note linking it, with its marker;
- webhooks (Issue Hook, Note Hook) are checked by their X-Gitlab-Token against
  the connection's secret and deduplicated by X-Gitlab-Event-UUID; a group
  hook's events about other projects are ignored. A hook names the milestone
  only by id, so a milestone changed in GitLab arrives with the next poll.
- RateLimit-Remaining: 0 with RateLimit-Reset (epoch seconds), and Retry-After
  on a 429, hold every call of the account until then (sync/ratelimit.py);
- an enhancement request's issue carries the connection's request label
  ("enhancement" by default) and "status::..." from the request status map;
  delivered, declined, duplicate and converted close it, and closing or
  reopening it in GitLab without a matching label reads as delivered or under review.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from core.safe_urls import GuardedSession
from sync.connectors.base import (
    DELETED_IN_HANDOFF,
    FOOTER_RE,
    KEY_RE,
    Connector,
    ConnectorError,
    OutboundChange,
    PullResult,
    RejectedChange,
    TrackerComment,
    TrackerIssue,
    TwinRef,
    WebhookRejected,
    answer_error,
    attachment_marker,
    carries_attachment_marker,
    carries_comment_marker,
    carries_defect_marker,
    comment_marker,
    footer,
    has_marker,
    remote_reason,
    transport_error,
)
from sync.connectors.signed import header
from sync.ratelimit import RateGate
from sync.services.settings import http_timeout

API = "api/v4"
STATUS_LABEL = "status::"
SEVERITY_LABEL = "severity::"
# Portal statuses that close the issue; what a close or reopen made in GitLab means.
CLOSED_STATUSES = ("fixed", "released", "wont_fix", "cannot_reproduce", "duplicate", "converted")
CLOSED_IN_GITLAB = "fixed"
REOPENED_IN_GITLAB = "in_progress"
# The same for an enhancement request's issue.
REQUEST_CLOSED_STATUSES = ("delivered", "declined", "duplicate", "converted")
REQUEST_CLOSED_IN_GITLAB = "delivered"
REQUEST_REOPENED_IN_GITLAB = "under_review"
PER_PAGE = 100
TITLE_MAX = 255


def gitlab_time(raw: str | None) -> str:
    """A GitLab time as ISO 8601. The API sends "2024-05-01T10:00:00.123Z"; hooks also
    "2024-05-01 10:00:00 UTC". Anything unreadable is kept as it came."""
    text = (raw or "").strip()
    if text.endswith(" UTC"):
        text = text[:-4].replace(" ", "T") + "+00:00"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return raw or ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _label_names(labels: Any) -> list[str]:
    """Label names from the API (strings) or a hook (objects with a title)."""
    names = []
    for label in labels or []:
        name = label.get("title") or label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return names


class GitLabConnector(Connector):
    kind = "gitlab"
    supports_webhooks = True
    # GitLab does not retry a failed delivery by itself; one can be resent by hand from the
    # hook's recent events, which are kept for days: a week covers that.
    redelivery_window = timedelta(days=7)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.base_url = re.sub(r"/api/v4$", "", self.base_url)
        self.project = self.project.strip().strip("/")
        self.timeout = http_timeout()
        self.session = GuardedSession()
        self.session.headers.update({"Accept": "application/json", "PRIVATE-TOKEN": self.token})
        self.gate = RateGate(base_url=self.base_url, token=self.token, tracker="GitLab")

    # ------------------------------------------------------------------ HTTP
    def _response(self, method: str, path: str, **kwargs) -> requests.Response:
        """One REST call; its status sorted into retry (429/5xx), pause (401/403/404/410) or reject."""
        url = f"{self.base_url}/{API}/{path}"
        where = f"{method} /{API}/{path.split('?')[0]}"
        with self.gate.slot():
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:  # the outbound guard's UnsafeRemote is one too
                raise transport_error("GitLab", exc, where=where) from None
        wait = self.gate.note_headers(response.headers)
        code = response.status_code
        if code >= 400:
            reason = self._message(response)
            raise answer_error(
                "GitLab", code, where=where, retry_after=wait, detail=reason,
                refused=f"GitLab refused {where} ({code}): {reason}",
            )
        return response

    def _call(self, method: str, path: str, **kwargs) -> Any:
        response = self._response(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"GitLab answered {method} /{API}/{path} with something that is not JSON.") from None

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page by page (offset pagination: X-Next-Page is empty on the last)."""
        page = "1"
        while page:
            response = self._response("GET", path, params={**params, "per_page": PER_PAGE, "page": page})
            try:
                items = response.json()
            except ValueError:
                raise ConnectorError(f"GitLab answered a listing of {path} with something that is not JSON.") from None
            yield from items if isinstance(items, list) else []
            page = (response.headers.get("X-Next-Page") or "").strip()

    @staticmethod
    def _message(response: requests.Response) -> str:
        """GitLab's {"message": ...} or {"error": ...} as one short line (a message may map fields to
        lists). Anything else, such as an HTML error page, is reduced to its status line."""
        status = remote_reason(f"HTTP {response.status_code} {response.reason or ''}")
        try:
            body = response.json()
        except ValueError:
            return status
        if not isinstance(body, dict):
            return status
        said = body.get("message", body.get("error"))
        if isinstance(said, dict):
            said = "; ".join(
                f"{name} {' '.join(map(str, value)) if isinstance(value, list) else value}"
                for name, value in said.items()
            )
        elif isinstance(said, list):
            said = "; ".join(map(str, said))
        return remote_reason(said) or status

    @property
    def _project_path(self) -> str:
        return f"projects/{quote(self.project, safe='')}"

    def _issue_path(self, twin: TwinRef) -> str:
        return f"{self._project_path}/issues/{twin.external_id}"

    # ------------------------------------------------------------------ shapes
    def _twin(self, iid: int | str, url: str = "") -> TwinRef:
        url = url or f"{self.base_url}/{self.project}/-/issues/{iid}"
        return TwinRef(external_id=str(iid), key=f"{self.project}#{iid}", url=url)

    def _closing(self, status_name: str | None, *, request: bool = False) -> bool:
        statuses, names = (
            (REQUEST_CLOSED_STATUSES, self.config.request_status_map) if request
            else (CLOSED_STATUSES, self.config.status_map)
        )
        closing = {names[s].lower() for s in statuses if s in names}
        return (status_name or "").lower() in closing

    def _status_of(self, state: str | None, labels: list[str], *, request: bool = False) -> str | None:
        """The status label, unless the state says otherwise; `request`: read as a request's issue."""
        named = next((n[len(STATUS_LABEL):] for n in labels if n.startswith(STATUS_LABEL)), None)
        names = self.config.request_status_map if request else self.config.status_map
        if state == "closed" and not self._closing(named, request=request):
            # Closed in GitLab without our label.
            return names[REQUEST_CLOSED_IN_GITLAB if request else CLOSED_IN_GITLAB]
        if state == "opened" and named and self._closing(named, request=request):
            return names[REQUEST_REOPENED_IN_GITLAB if request else REOPENED_IN_GITLAB]  # reopened in GitLab
        return named

    def _tracker_issue(self, issue: Mapping[str, Any], comments: tuple[TrackerComment, ...] = (),
                       *, url: str = "") -> TrackerIssue:
        """An issue from the API or a hook. A hook names no milestone title: then no version is reported."""
        labels = _label_names(issue.get("labels"))
        fields: dict[str, str | None] = {}
        if "title" in issue:
            fields["title"] = issue.get("title") or ""
        status = self._status_of(issue.get("state"), labels)
        if status:
            fields["status"] = status
        severity = next((n[len(SEVERITY_LABEL):] for n in labels if n.startswith(SEVERITY_LABEL)), None)
        if severity:
            fields["priority"] = severity
        if "milestone" in issue:
            fields["version"] = (issue.get("milestone") or {}).get("title")
        request_fields = {k: v for k, v in fields.items() if k != "status"}
        request_status = self._status_of(issue.get("state"), labels, request=True)
        if request_status:
            request_fields["status"] = request_status
        match = KEY_RE.search(issue.get("description") or "")
        return TrackerIssue(
            twin=self._twin(issue["iid"], url or issue.get("web_url") or ""),
            updated_at=gitlab_time(issue.get("updated_at")),
            portal_key=match.group(1) if match else "", fields=fields, comments=comments,
            request_fields=request_fields,
        )

    @staticmethod
    def _comment(note: Mapping[str, Any], *, author: str = "") -> TrackerComment:
        # An edit keeps the note's id: the portal twin is updated in place.
        author = author or (note.get("author") or {}).get("username", "")
        return TrackerComment(id=str(note["id"]), body=note.get("body", note.get("note")) or "", author=author)

    @staticmethod
    def _description(text: str | None, change: OutboundChange) -> str:
        text = FOOTER_RE.sub("", text or "").rstrip()
        return f"{text}\n\n---\n{footer(change)}".lstrip()

    # ------------------------------------------------------------------ push
    def push(self, change: OutboundChange) -> TwinRef:
        if change.kind == "create":
            return self._create(change)
        twin = change.twin
        assert twin is not None, "only a create has no twin"
        if change.kind in ("comment_edit", "comment_delete"):
            self._change_note(twin, change)
        elif change.comment:
            self.posted_comment_id = self._post_once(
                twin, comment_marker(change.source_id or 0), change.comment,
                lambda body: carries_comment_marker(body, change.source_id or 0),
            )
        elif change.file is not None:
            self._attach(twin, change)
        else:
            # No fields: make sure the footer is there (after linking an existing issue).
            issue = self._call("GET", self._issue_path(twin))
            self._edit(twin, issue, change, dict(change.fields) or {"description": None})
        return twin

    def _notes(self, twin: TwinRef) -> Iterator[dict[str, Any]]:
        return self._pages(f"{self._issue_path(twin)}/notes", {"sort": "asc", "order_by": "created_at"})

    def _post_once(self, twin: TwinRef, marker: str, text: str, posted: Callable[[str], bool]) -> str:
        """Post `text` with `marker` unless a note `posted(body)` recognises is there; the note's id."""
        for note in self._notes(twin):
            if posted(note.get("body") or ""):
                return str(note["id"])  # an earlier try got through
        made = self._call("POST", f"{self._issue_path(twin)}/notes", json={"body": f"{text}\n\n{marker}"})
        return str((made or {}).get("id") or "")

    def _change_note(self, twin: TwinRef, change: OutboundChange) -> None:
        """PUT the note's new body, or DELETE it; a note already gone (deleted in GitLab too, or a
        repeated try) is done. Only when GitLab refuses a deletion is the note edited to say so."""
        path = f"{self._issue_path(twin)}/notes/{change.comment_ref}"
        marker = comment_marker(change.source_id or 0)
        try:
            if change.kind == "comment_edit":
                self._call("PUT", path, json={"body": f"{change.comment}\n\n{marker}"})
                return
            try:
                self._call("DELETE", path)
            except RejectedChange:
                self._call("PUT", path, json={"body": f"{DELETED_IN_HANDOFF}\n\n{marker}"})
        except ConnectorError as exc:
            if not exc.gone:
                raise

    def _attach(self, twin: TwinRef, change: OutboundChange) -> None:
        file = change.file
        assert file is not None
        marker = attachment_marker(change.source_id or 0)
        if any(carries_attachment_marker(note.get("body"), change.source_id or 0) for note in self._notes(twin)):
            return
        uploaded = self._call("POST", f"{self._project_path}/uploads",
                              files={"file": (file.name, file.data, file.content_type)})
        link = (uploaded or {}).get("markdown") or file.name
        note = (f"Attachment {link} ({file.content_type}, {len(file.data)} bytes) "
                f"from {change.defect_key} in Handoff: {change.defect_url}")
        self._call("POST", f"{self._issue_path(twin)}/notes", json={"body": f"{note}\n\n{marker}"})

    @staticmethod
    def _label_changes(current: list[str], fields: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """(add, remove): one status and one severity label, other labels left alone."""
        add, remove = [], []
        for name, prefix in (("status", STATUS_LABEL), ("priority", SEVERITY_LABEL)):
            if name not in fields:
                continue
            wanted = prefix + fields[name] if fields[name] else None
            remove += [label for label in current if label.startswith(prefix) and label != wanted]
            if wanted and wanted not in current:
                add.append(wanted)
        return add, remove

    def _milestone_id(self, title: str | None) -> int:
        """The id of the milestone titled `title` (made in the project when missing); 0 for none."""
        if not title:
            return 0
        for attempt in range(2):
            found = self._call("GET", f"{self._project_path}/milestones",
                               params={"title": title, "include_ancestors": "true"})
            for milestone in found or []:
                if milestone.get("title") == title:
                    return int(milestone["id"])
            if attempt:
                break
            try:
                return int(self._call("POST", f"{self._project_path}/milestones", json={"title": title})["id"])
            except RejectedChange:
                continue  # made meanwhile by someone else: look again
        raise RejectedChange(f"GitLab has no milestone {title!r} and would not make one.")

    def _edit(self, twin: TwinRef, issue: Mapping[str, Any], change: OutboundChange,
              fields: Mapping[str, Any]) -> None:
        edit: dict[str, Any] = {}
        if "title" in fields:
            edit["title"] = (fields["title"] or change.defect_key)[:TITLE_MAX]
        if "description" in fields:
            text = fields["description"] if fields["description"] is not None else issue.get("description")
            description = self._description(text, change)
            if description != (issue.get("description") or ""):
                edit["description"] = description
        add, remove = self._label_changes(_label_names(issue.get("labels")), fields)
        if add:
            edit["add_labels"] = ",".join(add)
        if remove:
            edit["remove_labels"] = ",".join(remove)
        if fields.get("status"):
            closing = self._closing(fields["status"], request=change.is_request)
            if closing and issue.get("state") != "closed":
                edit["state_event"] = "close"
            elif not closing and issue.get("state") == "closed":
                edit["state_event"] = "reopen"
        current = (issue.get("milestone") or {}).get("title")
        if "version" in fields and (fields["version"] or None) != current:
            edit["milestone_id"] = self._milestone_id(fields["version"])
        if edit:
            self._call("PUT", self._issue_path(twin), json=edit)

    def probe(self) -> dict[str, str]:
        """What the connection reaches: the project (GET /projects/:id) and the token's account (GET /user)."""
        project = self._call("GET", self._project_path) or {}
        user = self._call("GET", "user") or {}
        return {
            "project": str(project.get("path_with_namespace") or self.project),
            "account": str(user.get("username") or "(the token may not read its account)"),
        }

    def own_user_id(self) -> int | None:
        """The id of the token's account (GET /user), or None when the token may not read it."""
        if not hasattr(self, "_own_user_id"):
            try:
                self._own_user_id = (self._call("GET", "user") or {}).get("id")
            except ConnectorError as exc:
                if not exc.permanent or ("403" not in exc.message and "404" not in exc.message):
                    raise
                self._own_user_id = None  # adopt nothing rather than guess
        return self._own_user_id

    def find_by_key(self, key: str) -> TwinRef | None:
        """The issue an earlier create of `key` made, among the newest our own account opened.

        Only an issue by our own account whose footer carries this installation's
        marker for `key`: anyone who may open issues in the project can name a key.
        """
        own = self.own_user_id()
        if own is None:
            return None
        newest = self._call("GET", f"{self._project_path}/issues", params={
            "author_id": own, "order_by": "created_at", "sort": "desc", "per_page": PER_PAGE,
        })
        for issue in newest or []:
            description = issue.get("description") or ""
            match = KEY_RE.search(description)
            if (match and match.group(1) == key and carries_defect_marker(description, key)
                    and (issue.get("author") or {}).get("id") == own):
                return self._twin(issue["iid"], issue.get("web_url", ""))
        return None

    def _create(self, change: OutboundChange) -> TwinRef:
        fields = dict(change.fields)
        twin = self.find_by_key(change.defect_key)
        if twin is None:
            data: dict[str, Any] = {
                "title": (fields.get("title") or change.defect_key)[:TITLE_MAX],
                "description": self._description(fields.get("description", ""), change),
            }
            labels, _ = self._label_changes([], fields)
            if change.is_request:
                labels.append(self.config.request_type)
            if labels:
                data["labels"] = ",".join(labels)
            if fields.get("version"):
                data["milestone_id"] = self._milestone_id(fields["version"])
            made = self._call("POST", f"{self._project_path}/issues", json=data)
            twin = self._twin(made["iid"], made.get("web_url", ""))
            issue = made
        else:
            issue = self._call("GET", self._issue_path(twin))
        # Issues are created open; a closed status (and whatever a repeated create lacks) is set by an edit.
        self._edit(twin, issue, change, {k: v for k, v in fields.items() if k in ("status", "priority", "version")})
        return twin

    # ------------------------------------------------------------------ read
    def _comments(self, twin: TwinRef) -> tuple[TrackerComment, ...]:
        return tuple(self._comment(n) for n in self._notes(twin) if not n.get("system"))

    def fetch(self, twin: TwinRef) -> TrackerIssue:
        issue = self._call("GET", self._issue_path(twin))
        return self._tracker_issue(issue, self._comments(twin))

    def lookup(self, reference: str) -> TrackerIssue:
        """An existing issue by number ("#12", "group/project#12") or URL (".../group/project/-/issues/12")."""
        text = reference.strip().rstrip("/").split("#note_")[0]
        match = re.search(
            r"(?:^https?://[^/]+/([\w.-]+(?:/[\w.-]+)+?)(?:/-)?/(?:issues|work_items)/|([\w.-]+(?:/[\w.-]+)+)#|#|^)(\d+)$",
            text,
        )
        if not match:
            raise RejectedChange(f"{reference!r} is not a GitLab issue number or URL.")
        project = match.group(1) or match.group(2)
        if project and project.lower() != self.project.lower():
            raise RejectedChange(f"{reference!r} is in {project}, not {self.project}.")
        return self.fetch(self._twin(match.group(3)))

    def pull(self, cursor: str) -> PullResult:
        """Issues updated since the cursor (inclusive: applying twice is harmless), oldest first."""
        params: dict[str, Any] = {"order_by": "updated_at", "sort": "asc"}
        if cursor:
            params["updated_after"] = cursor
        issues: list[TrackerIssue] = []
        newest = cursor
        for raw in self._pages(f"{self._project_path}/issues", params):
            twin = self._twin(raw["iid"], raw.get("web_url", ""))
            comments = self._comments(twin) if raw.get("user_notes_count") else ()
            issue = self._tracker_issue(raw, comments)
            issues.append(issue)
            newest = max(newest or "", issue.updated_at)
        return PullResult(issues=tuple(issues), cursor=newest or "")

    # ------------------------------------------------------------------ webhooks
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, secret: str) -> str:
        """X-Gitlab-Token must equal the connection's secret (GitLab sends it as set, unsigned);
        the delivery id is X-Gitlab-Event-UUID."""
        if not secret:
            raise WebhookRejected("No webhook secret is set for this connection; unsigned deliveries are refused.")
        token = header(headers, "X-Gitlab-Token")
        if not token or not hmac.compare_digest(token.encode(), secret.encode()):
            raise WebhookRejected("The X-Gitlab-Token header is missing or does not match the secret.")
        delivery = header(headers, "X-Gitlab-Event-UUID")
        if not delivery:
            raise WebhookRejected("The X-Gitlab-Event-UUID header is missing.", status=400)
        return delivery

    def _ours(self, project: Mapping[str, Any] | None) -> bool:
        """Whether a hook's project is this connection's (a group hook also reports its other projects)."""
        path = str((project or {}).get("path_with_namespace") or "")
        return path.lower() == self.project.lower()

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> tuple[TrackerIssue, ...]:
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise TypeError("the payload is not an object")
            kind = payload.get("object_kind")
            if kind == "issue":
                if not self._ours(payload["project"]):
                    return ()
                issue = dict(payload["object_attributes"])
                issue.pop("milestone", None)  # only milestone_id is sent: no version to report
                issue["labels"] = payload.get("labels", issue.get("labels"))
                return (self._tracker_issue(issue, url=issue.get("url", "")),)
            if kind == "note":
                note = payload["object_attributes"]
                if note.get("noteable_type") != "Issue" or not self._ours(payload["project"]):
                    return ()
                issue = dict(payload["issue"])
                issue.pop("milestone", None)
                url = f"{str(payload['project'].get('web_url', '')).rstrip('/')}/-/issues/{issue['iid']}"
                if note.get("system") or has_marker(note.get("note")):
                    return (self._tracker_issue(issue, url=url),)
                author = (payload.get("user") or {}).get("username", "")
                comment = self._comment(note, author=author)
                return (self._tracker_issue(issue, (comment,), url=url),)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WebhookRejected(f"Unreadable GitLab delivery: {type(exc).__name__}: {exc}", status=400) from None
        return ()  # push, merge request and other events we do not sync
