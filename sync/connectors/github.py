"""GitHub connector: issues of one repository through PyGithub, with signed webhooks.

How the portal's ideas land in GitHub:
- the connection's project is "owner/repo"; its base URL is the API root
  (https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise);
- severity is the label "severity: <name>" and engineering status the label
  "status: <name>" (names from the connection's maps); a status the portal
  counts as closed also closes the issue, with the matching state_reason
  (completed, not_planned or duplicate);
- the planned or fixed-in release is the milestone of that title (made when
  missing: milestones are cheap and any writer may make them);
- the portal key and link are a footer of the body, with the installation's
  signed marker; a repeated create finds the first by that footer among the
  newest issues (the search API lags behind), and adopts it only when our own
  account made it and the marker is valid;
- GitHub has no API to attach files to an issue, so an attachment becomes a
  comment naming the file and linking the defect where it can be downloaded;
- a pushed comment keeps its GitHub id: an edit in Handoff PATCHes it in place
  and a deletion DELETEs it; issue_comment "edited" and "deleted" deliveries
  update or mark the portal twin the same way;
- GitHub never delivers a webhook twice by itself, so polling `since` the
  cursor recovers whatever was missed;
- an enhancement request's issue carries the connection's request label
  ("enhancement" by default) and a "status: ..." label from the request status
  map; delivered, declined, duplicate and converted close it (completed,
  not_planned, duplicate, not_planned), and closing or reopening it in GitHub
  reads as delivered, declined, duplicate or under review.

PyGithub is built with retry=None and no pauses between calls: it would
otherwise sleep on rate limits inside the call, where the outbox should wait.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.GithubObject import NotSet
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
)

from core.safe_urls import GuardedAdapter
from sync.connectors.base import (
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
    is_retried,
    remote_reason,
    transport_error,
)
from sync.connectors.signed import header, verify_signed
from sync.ratelimit import RateGate, wait_from_headers
from sync.services.settings import http_timeout

STATUS_LABEL = "status: "
SEVERITY_LABEL = "severity: "
# Portal statuses that close the issue, and the state_reason GitHub records.
CLOSED_REASONS = {
    "fixed": "completed", "released": "completed",
    "wont_fix": "not_planned", "cannot_reproduce": "not_planned", "duplicate": "duplicate",
    "converted": "not_planned",
}
# What a close or reopen made in GitHub means, as a portal status.
REASON_STATUS = {"completed": "fixed", "not_planned": "wont_fix", "duplicate": "duplicate"}
REOPENED_STATUS = "in_progress"
# The same for an enhancement request's issue.
REQUEST_CLOSED_REASONS = {
    "delivered": "completed", "declined": "not_planned", "duplicate": "duplicate", "converted": "not_planned",
}
REQUEST_REASON_STATUS = {"completed": "delivered", "not_planned": "declined", "duplicate": "duplicate"}
REQUEST_REOPENED_STATUS = "under_review"
SECONDARY_LIMIT_WAIT = 60.0  # GitHub asks to wait at least a minute after a secondary rate limit


def _guard(connection) -> None:
    """Give a PyGithub connection our transport: address checked per connection, no redirects."""
    connection.session.trust_env = False
    connection.adapter = GuardedAdapter(
        max_retries=connection.retry, pool_connections=connection.pool_size, pool_maxsize=connection.pool_size,
    )
    connection.session.mount(f"{connection.protocol}://", connection.adapter)


class _GuardedHTTP(HTTPRequestsConnectionClass):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _guard(self)


class _GuardedHTTPS(HTTPSRequestsConnectionClass):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _guard(self)


# PyGithub makes its connections from classes set on Requester (for every client in the
# process): every GitHub call the portal makes goes through the guarded transport.
Requester.injectConnectionClasses(_GuardedHTTP, _GuardedHTTPS)


def _raw(obj) -> dict[str, Any]:
    """The JSON GitHub sent for a PyGithub object. Not `raw_data`: for items of a listing that
    property fetches each object again, one GET per issue or comment."""
    return obj._rawData


class GitHubConnector(Connector):
    kind = "github"
    supports_webhooks = True
    # GitHub lets a delivery of the past 3 days be sent again ("Redeliver").
    redelivery_window = timedelta(days=3)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.client = Github(
            auth=Auth.Token(self.token), base_url=self.base_url, timeout=int(http_timeout()),
            retry=None, seconds_between_requests=None, seconds_between_writes=None, per_page=100, lazy=True,
        )
        self.repo = self.client.get_repo(self.project)
        self.gate = RateGate(base_url=self.base_url, token=self.token, tracker="GitHub")

    # ------------------------------------------------------------------ calls
    @contextmanager
    def _api(self, what: str) -> Iterator[None]:
        """One operation against GitHub, inside an in-flight slot, its failures sorted."""
        with self.gate.slot():
            try:
                yield
            except GithubException as exc:
                raise self._error(exc, what) from None
            except requests.RequestException as exc:  # the outbound guard's UnsafeRemote is one too
                raise transport_error("GitHub", exc, where=f"({what})") from None
            finally:
                self._note_budget()

    def _note_budget(self) -> None:
        """A success that used the last request of the budget: wait for its reset before the next."""
        requester = self.client.requester
        remaining, _limit = requester.rate_limiting
        if remaining == 0 and requester.rate_limiting_resettime:
            self.gate.block(max(1.0, requester.rate_limiting_resettime - time.time()))

    def _error(self, exc: GithubException, what: str) -> ConnectorError:
        code = exc.status
        headers = exc.headers or {}
        data = exc.data if isinstance(exc.data, dict) else {}
        message = remote_reason(data.get("message") or exc.message or "")
        wait = wait_from_headers(headers)
        if code in (403, 429) and (wait is not None or "rate limit" in message.lower()):
            wait = SECONDARY_LIMIT_WAIT if wait is None else wait
            self.gate.block(wait)
            return ConnectorError(f"GitHub rate limit ({code}) on {what}: {message}", retry_after=wait)
        if is_retried(code) and wait:
            self.gate.block(wait)
        details = remote_reason("; ".join(
            f"{e.get('field', '')} {e.get('code', '')}".strip() if isinstance(e, dict) else str(e)
            for e in data.get("errors") or []
        ))
        refused = f"GitHub refused {what} ({code}): {message}{' - ' + details if details else ''}"
        # PyGithub raises for 4xx and 5xx only; anything else it raises is refused all the same.
        return answer_error(
            "GitHub", code, where=what, retry_after=wait, detail=message, refused=refused
        ) or RejectedChange(refused)

    # ------------------------------------------------------------------ shapes
    def _twin(self, number: int | str, url: str = "") -> TwinRef:
        url = url or f"{self.base_url}/repos/{self.project}/issues/{number}"
        return TwinRef(external_id=str(number), key=f"{self.project}#{number}", url=url)

    def _closing_reason(self, status_name: str, *, request: bool = False) -> str | None:
        """The state_reason a tracker status closes with, or None for an open status."""
        closed = REQUEST_CLOSED_REASONS if request else CLOSED_REASONS
        names = self.config.request_status_map if request else self.config.status_map
        for portal, reason in closed.items():
            if names.get(portal, "").lower() == status_name.lower():
                return reason
        return None

    def _status_of(self, issue: Mapping[str, Any], *, request: bool = False) -> str | None:
        """The issue's status name: its status label, unless GitHub's open or closed state says otherwise.
        `request`: read as an enhancement request's issue (its own map and closing reasons)."""
        labels = [label["name"] for label in issue.get("labels") or []]
        named = next((n[len(STATUS_LABEL):] for n in labels if n.startswith(STATUS_LABEL)), None)
        closing = self._closing_reason(named, request=request) if named else None
        names = self.config.request_status_map if request else self.config.status_map
        if issue.get("state") == "closed" and closing is None:
            # Closed in GitHub without our label: the reason says what it means.
            reasons, default = (REQUEST_REASON_STATUS, "delivered") if request else (REASON_STATUS, "fixed")
            return names[reasons.get(issue.get("state_reason") or "", default)]
        if issue.get("state") == "open" and closing is not None:
            return names[REQUEST_REOPENED_STATUS if request else REOPENED_STATUS]  # reopened in GitHub
        return named

    def _tracker_issue(self, issue: Mapping[str, Any], comments: tuple[TrackerComment, ...] = ()) -> TrackerIssue:
        labels = [label["name"] for label in issue.get("labels") or []]
        fields: dict[str, str | None] = {"title": issue.get("title", "")}
        status = self._status_of(issue)
        if status:
            fields["status"] = status
        severity = next((n[len(SEVERITY_LABEL):] for n in labels if n.startswith(SEVERITY_LABEL)), None)
        if severity:
            fields["priority"] = severity
        if "milestone" in issue:
            fields["version"] = (issue.get("milestone") or {}).get("title")
        request_fields = {k: v for k, v in fields.items() if k != "status"}
        request_status = self._status_of(issue, request=True)
        if request_status:
            request_fields["status"] = request_status
        match = KEY_RE.search(issue.get("body") or "")
        return TrackerIssue(
            twin=self._twin(issue["number"], issue.get("html_url", "")), updated_at=issue.get("updated_at", ""),
            portal_key=match.group(1) if match else "", fields=fields, comments=comments,
            request_fields=request_fields,
        )

    @staticmethod
    def _comment(comment: Mapping[str, Any], *, deleted: bool = False) -> TrackerComment:
        # An edit keeps the comment's id: the portal twin is updated in place.
        author = (comment.get("user") or {}).get("login", "")
        return TrackerComment(id=str(comment["id"]), body=comment.get("body") or "", author=author, deleted=deleted)

    @staticmethod
    def _body(text: str, change: OutboundChange) -> str:
        text = FOOTER_RE.sub("", text or "").rstrip()
        return f"{text}\n\n---\n{footer(change)}".lstrip()

    # ------------------------------------------------------------------ push
    def push(self, change: OutboundChange) -> TwinRef:
        if change.kind == "create":
            return self._create(change)
        twin = change.twin
        assert twin is not None, "only a create has no twin"
        with self._api(f"issue {twin.key}"):
            issue = self.repo.get_issue(int(twin.external_id))
            if change.kind in ("comment_edit", "comment_delete"):
                self._change_comment(issue, change)
            elif change.comment:
                self.posted_comment_id = self._post_once(
                    issue, comment_marker(change.source_id or 0), change.comment,
                    lambda body: carries_comment_marker(body, change.source_id or 0),
                )
            elif change.file is not None:
                file = change.file
                note = (f"Attachment **{file.name}** ({file.content_type}, {len(file.data)} bytes) "
                        f"is on {change.defect_key} in Handoff: {change.defect_url}")
                self._post_once(issue, attachment_marker(change.source_id or 0), note,
                                lambda body: carries_attachment_marker(body, change.source_id or 0))
            else:
                # No fields: make sure the footer is there (after linking an existing issue).
                self._edit(issue, change, dict(change.fields) or {"description": None})
        return twin

    def _post_once(self, issue, marker: str, text: str, posted) -> str:
        """Post `text` with `marker` unless a comment `posted(body)` recognises is there; its id."""
        for comment in issue.get_comments():
            if posted(comment.body):
                return str(comment.id)  # an earlier try got through
        return str(issue.create_comment(f"{text}\n\n{marker}").id)

    def _change_comment(self, issue, change: OutboundChange) -> None:
        """PATCH or DELETE /repos/{owner}/{repo}/issues/comments/{id}; one already gone is done."""
        try:
            comment = issue.get_comment(int(change.comment_ref))
            if change.kind == "comment_edit":
                comment.edit(f"{change.comment}\n\n{comment_marker(change.source_id or 0)}")
            else:
                comment.delete()
        except GithubException as exc:
            if exc.status != 404:
                raise

    def _labels(self, current: list[str], fields: Mapping[str, Any]) -> list[str] | None:
        if "status" not in fields and "priority" not in fields:
            return None
        keep = [
            name for name in current
            if not (("status" in fields and name.startswith(STATUS_LABEL))
                    or ("priority" in fields and name.startswith(SEVERITY_LABEL)))
        ]
        if fields.get("status"):
            keep.append(STATUS_LABEL + fields["status"])
        if fields.get("priority"):
            keep.append(SEVERITY_LABEL + fields["priority"])
        return keep

    def _milestone(self, title: str | None):
        if not title:
            return None
        for milestone in self.repo.get_milestones(state="all"):
            if milestone.title == title:
                return milestone
        return self.repo.create_milestone(title)

    def _edit(self, issue, change: OutboundChange, fields: Mapping[str, Any]) -> None:
        edit: dict[str, Any] = {}
        if "title" in fields:
            edit["title"] = fields["title"][:256]
        if "description" in fields:
            text = fields["description"] if fields["description"] is not None else issue.body
            body = self._body(text, change)
            if body != (issue.body or ""):
                edit["body"] = body
        labels = self._labels([label.name for label in issue.labels], fields)
        if labels is not None:
            edit["labels"] = labels
        if fields.get("status"):
            reason = self._closing_reason(fields["status"], request=change.is_request)
            if reason and issue.state != "closed":
                edit.update(state="closed", state_reason=reason)
            elif not reason and issue.state == "closed":
                edit.update(state="open", state_reason="reopened")
        current = issue.milestone.title if issue.milestone else None
        if "version" in fields and fields["version"] != current:
            edit["milestone"] = self._milestone(fields["version"])
        if edit:
            issue.edit(**edit)

    def own_login(self) -> str | None:
        """The login of the token's account (GET /user), or None when the token may not read it."""
        if not hasattr(self, "_own_login"):
            try:
                self._own_login = self.client.get_user().login
            except GithubException as exc:
                if exc.status not in (403, 404):
                    raise
                self._own_login = None  # e.g. an app's token: adopt nothing rather than guess
        return self._own_login

    def probe(self) -> dict[str, str]:
        """What the connection reaches: the repository (GET /repos/{owner}/{repo}) and the token's account."""
        with self._api("read the repository"):
            name = self.repo.complete().full_name
        with self._api("read the account"):
            login = self.own_login() or "(the token may not read its account)"
        return {"project": name, "account": login}

    def find_by_key(self, key: str) -> TwinRef | None:
        """The issue an earlier create of `key` made, among the newest: a repeated create follows it closely.

        Only an issue opened by our own account with this installation's marker
        for `key`: anyone may open an issue naming a key, on a public
        repository even before the defect exists.
        """
        newest = self.repo.get_issues(state="all", sort="created", direction="desc").get_page(0)
        candidates = []
        for issue in newest:
            raw = _raw(issue)
            match = KEY_RE.search(raw.get("body") or "")
            if match and match.group(1) == key and carries_defect_marker(raw.get("body"), key):
                candidates.append(raw)
        if not candidates:
            return None
        login = self.own_login()
        for raw in candidates:
            if login and (raw.get("user") or {}).get("login") == login:
                return self._twin(raw["number"], raw.get("html_url", ""))
        return None

    def _create(self, change: OutboundChange) -> TwinRef:
        fields = dict(change.fields)
        with self._api("create issue"):
            twin = self.find_by_key(change.defect_key)
            if twin is None:
                labels = self._labels([], fields) or []
                if change.is_request:
                    labels.append(self.config.request_type)
                issue = self.repo.create_issue(
                    title=fields.get("title", change.defect_key)[:256],
                    body=self._body(fields.get("description", ""), change),
                    labels=labels,
                    milestone=self._milestone(fields.get("version")) or NotSet,
                )
                twin = self._twin(issue.number, issue.html_url)
            else:
                issue = self.repo.get_issue(int(twin.external_id))
            # Issues are created open; a closed status (and a repeated create) is set by an edit.
            self._edit(issue, change, {k: v for k, v in fields.items() if k in ("status", "priority", "version")})
        return twin

    # ------------------------------------------------------------------ read
    def fetch(self, twin: TwinRef) -> TrackerIssue:
        with self._api(f"read {twin.key}"):
            issue = self.repo.get_issue(int(twin.external_id))
            comments = tuple(self._comment(_raw(c)) for c in issue.get_comments())
            return self._tracker_issue(issue.raw_data, comments)  # completes the lazy issue: one GET

    def lookup(self, reference: str) -> TrackerIssue:
        """An existing issue by number ("#12", "owner/repo#12") or URL (".../owner/repo/issues/12")."""
        text = reference.strip().rstrip("/")
        match = re.search(r"(?:([\w.-]+/[\w.-]+)/issues/|([\w.-]+/[\w.-]+)#|#|^)(\d+)$", text)
        if not match:
            raise RejectedChange(f"{reference!r} is not a GitHub issue number or URL.")
        repo = match.group(1) or match.group(2)
        if repo and repo.lower() != self.project.lower():
            raise RejectedChange(f"{reference!r} is in {repo}, not {self.project}.")
        return self.fetch(self._twin(match.group(3)))

    def pull(self, cursor: str) -> PullResult:
        """Issues updated since the cursor (inclusive: applying twice is harmless), oldest first."""
        since = datetime.fromisoformat(cursor) if cursor else None
        issues: list[TrackerIssue] = []
        newest = cursor
        with self._api("list changed issues"):
            listing = self.repo.get_issues(state="all", sort="updated", direction="asc",
                                           **({"since": since} if since else {}))
            for issue in listing:
                raw = _raw(issue)
                if raw.get("pull_request"):
                    continue  # the issues API lists pull requests too
                comments: tuple[TrackerComment, ...] = ()
                if raw.get("comments"):
                    found = issue.get_comments(since=since) if since else issue.get_comments()
                    comments = tuple(self._comment(_raw(c)) for c in found)
                issues.append(self._tracker_issue(raw, comments))
                newest = max(newest or "", raw.get("updated_at", ""))
        return PullResult(issues=tuple(issues), cursor=newest or "")

    # ------------------------------------------------------------------ webhooks
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, secret: str) -> str:
        """X-Hub-Signature-256: sha256=<HMAC of the body>; the delivery id is X-GitHub-Delivery."""
        return verify_signed(headers=headers, body=body, secret=secret, signature_header="X-Hub-Signature-256",
                             delivery_header="X-GitHub-Delivery")

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> tuple[TrackerIssue, ...]:
        event = header(headers, "X-GitHub-Event")
        try:
            payload = json.loads(body)
            if event == "issues":
                issue = payload["issue"]
                return () if issue.get("pull_request") else (self._tracker_issue(issue),)
            if event == "issue_comment":
                issue, comment, action = payload["issue"], payload["comment"], payload["action"]
                if issue.get("pull_request"):
                    return ()
                if action != "deleted" and has_marker(comment.get("body")):
                    return (self._tracker_issue(issue),)
                return (self._tracker_issue(issue, (self._comment(comment, deleted=action == "deleted"),)),)
            if not isinstance(payload, dict):
                raise TypeError("the payload is not an object")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WebhookRejected(f"Unreadable GitHub delivery: {type(exc).__name__}: {exc}", status=400) from None
        return ()  # ping and events we do not sync

