"""A local GitHub (Enterprise-style API root /api/v3) answering the REST calls Handoff makes.

Issues of one repository (list with state/sort/direction/since and Link
pagination, create, get, update with state_reason), their comments, and
milestones, in the reference's shapes; every answer carries the rate-limit
headers (X-RateLimit-Limit/Remaining/Used/Reset/Resource), and a spent budget
is answered 403 with Remaining 0 as GitHub does. Errors look like GitHub's
({"message", "documentation_url", "errors": [...]}). Helpers act as a person
on GitHub and build the webhook deliveries GitHub sends.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

DOCS = "https://docs.github.com/rest"
STATE_REASONS = {"completed", "not_planned", "duplicate", "reopened", None}


def gh_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def invalid(field: str, resource: str = "Issue", code: str = "invalid") -> Response:
    return Response(422, {"message": "Validation Failed", "documentation_url": DOCS,
                          "errors": [{"resource": resource, "code": code, "field": field}], "status": "422"})


class FakeGitHub(FakeServer):
    prefix = "/api/v3"

    def __init__(self, *, token: str = "ghp-test-token", repo: str = "acme/billing", limit: int = 5000) -> None:
        super().__init__()
        self.token = token
        self.repo = repo
        self.limit = limit
        self.remaining = limit
        self.reset_at = int(time.time()) + 3600
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.milestones: dict[int, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1000)
        self.numbers = itertools.count(1)
        self.clock = datetime.now(UTC).replace(microsecond=0)
        repo_path = f"/repos/{repo}"
        for method, pattern, handler in [
            ("GET", f"{repo_path}/issues", self.list_issues),
            ("POST", f"{repo_path}/issues", self.create_issue),
            ("GET", f"{repo_path}/issues/(?P<n>\\d+)", self.get_issue),
            ("PATCH", f"{repo_path}/issues/(?P<n>\\d+)", self.update_issue),
            ("GET", f"{repo_path}/issues/(?P<n>\\d+)/comments", self.list_comments),
            ("POST", f"{repo_path}/issues/(?P<n>\\d+)/comments", self.create_comment),
            ("GET", f"{repo_path}/issues/comments/(?P<cid>\\d+)", self.get_comment),
            ("PATCH", f"{repo_path}/issues/comments/(?P<cid>\\d+)", self.update_comment),
            ("DELETE", f"{repo_path}/issues/comments/(?P<cid>\\d+)", self.delete_comment),
            ("GET", f"{repo_path}/milestones", self.list_milestones),
            ("GET", "/user", self.authenticated_user),
            ("GET", repo_path, self.get_repo),
            ("POST", f"{repo_path}/milestones", self.create_milestone),
        ]:
            self.route(method, pattern, handler)

    # ------------------------------------------------------------------ plumbing
    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") in (f"token {self.token}", f"Bearer {self.token}")

    def unauthorized(self, request: Request) -> Response:
        return Response(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

    def _respond(self, request: Request) -> Response:
        if self.authorized(request) and not any(f.matches(request) for f in self.failures):
            if self.remaining <= 0:
                return Response(403, {"message": "API rate limit exceeded for user ID 1.",
                                      "documentation_url": DOCS})
            self.remaining -= 1
        return super()._respond(request)

    def extra_headers(self, request: Request, response: Response) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(max(self.remaining, 0)),
                "X-RateLimit-Used": str(self.limit - max(self.remaining, 0)),
                "X-RateLimit-Reset": str(self.reset_at), "X-RateLimit-Resource": "core",
                "X-GitHub-Api-Version-Selected": "2022-11-28", "X-GitHub-Request-Id": uuid.uuid4().hex[:16]}

    def tick(self) -> str:
        self.clock = max(datetime.now(UTC).replace(microsecond=0), self.clock + timedelta(seconds=1))
        return gh_time(self.clock)

    @property
    def api(self) -> str:
        return f"{self.base_url}/repos/{self.repo}"

    @property
    def web(self) -> str:
        return f"{self.origin}/{self.repo}"

    def user(self, login: str = "handoff-bot") -> dict[str, Any]:
        return {"login": login, "id": int(hashlib.md5(login.encode()).hexdigest()[:6], 16), "type": "User",
                "url": f"{self.base_url}/users/{login}", "html_url": f"{self.origin}/{login}", "site_admin": False}

    def label(self, name: str) -> dict[str, Any]:
        # Setting a label GitHub does not have yet creates it.
        if name not in self.labels:
            label_id = next(self.ids)
            self.labels[name] = {"id": label_id, "node_id": f"LA_{label_id}", "url": f"{self.api}/labels/{name}",
                                 "name": name, "color": "ededed", "default": False, "description": None}
        return self.labels[name]

    def issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        number = issue["number"]
        milestone = self.milestones.get(issue["milestone"]) if issue["milestone"] else None
        return {
            "id": issue["id"], "node_id": f"I_{issue['id']}", "url": f"{self.api}/issues/{number}",
            "repository_url": self.api, "labels_url": f"{self.api}/issues/{number}/labels{{/name}}",
            "comments_url": f"{self.api}/issues/{number}/comments", "events_url": f"{self.api}/issues/{number}/events",
            "html_url": f"{self.web}/issues/{number}", "number": number, "state": issue["state"],
            "state_reason": issue["state_reason"], "title": issue["title"], "body": issue["body"],
            "user": self.user(issue["author"]), "labels": [self.label(n) for n in issue["labels"]],
            "assignee": None, "assignees": [], "milestone": self.milestone_json(milestone) if milestone else None,
            "locked": False, "comments": len(self.comments[number]), "created_at": issue["created_at"],
            "updated_at": issue["updated_at"], "closed_at": issue["closed_at"], "author_association": "MEMBER",
        }

    def milestone_json(self, milestone: dict[str, Any]) -> dict[str, Any]:
        number = milestone["number"]
        return {"url": f"{self.api}/milestones/{number}", "html_url": f"{self.web}/milestone/{number}",
                "labels_url": f"{self.api}/milestones/{number}/labels", "id": milestone["id"],
                "node_id": f"MI_{milestone['id']}", "number": number, "state": milestone["state"],
                "title": milestone["title"], "description": None, "creator": self.user(), "open_issues": 0,
                "closed_issues": 0, "created_at": milestone["created_at"], "updated_at": milestone["created_at"],
                "closed_at": None, "due_on": None}

    def comment_json(self, number: int, comment: dict[str, Any]) -> dict[str, Any]:
        return {"id": comment["id"], "node_id": f"IC_{comment['id']}",
                "url": f"{self.api}/issues/comments/{comment['id']}",
                "html_url": f"{self.web}/issues/{number}#issuecomment-{comment['id']}", "body": comment["body"],
                "user": self.user(comment["author"]), "created_at": comment["created_at"],
                "updated_at": comment["updated_at"], "issue_url": f"{self.api}/issues/{number}",
                "author_association": "MEMBER"}

    def _page(self, request: Request, items: list) -> Response:
        per_page = int(request.arg("per_page", "30"))
        page = int(request.arg("page", "1"))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            query = "&".join(f"{k}={v[0]}" for k, v in request.query.items() if k != "page")
            headers["Link"] = f'<{self.origin}{request.path}?{query}&page={page + 1}>; rel="next"'
        return Response(200, chunk, headers)

    # ------------------------------------------------------------------ routes
    def list_issues(self, request: Request) -> Response:
        state = request.arg("state", "open")
        found = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        if since := request.arg("since"):
            found = [i for i in found if i["updated_at"] >= since]
        key = "updated_at" if request.arg("sort") == "updated" else "created_at"
        found.sort(key=lambda i: (i[key], i["number"]), reverse=request.arg("direction", "desc") == "desc")
        return self._page(request, [self.issue_json(i) for i in found])

    def create_issue(self, request: Request) -> Response:
        data = request.json() or {}
        if not data.get("title"):
            return invalid("title", code="missing_field")
        if data.get("milestone") is not None and data["milestone"] not in self.milestones:
            return invalid("milestone")
        number = next(self.numbers)
        now = self.tick()
        self.issues[number] = {
            "id": next(self.ids), "number": number, "state": "open", "state_reason": None, "title": data["title"],
            "body": data.get("body"), "labels": list(dict.fromkeys(data.get("labels") or [])),
            "milestone": data.get("milestone"), "author": "handoff-bot", "created_at": now, "updated_at": now,
            "closed_at": None,
        }
        self.comments[number] = []
        return Response(201, self.issue_json(self.issues[number]),
                        {"Location": f"{self.api}/issues/{number}"})

    def get_issue(self, request: Request) -> Response:
        issue = self.issues.get(int(request.match["n"]))
        return Response(200, self.issue_json(issue)) if issue else self.not_found(request)

    def update_issue(self, request: Request) -> Response:
        issue = self.issues.get(int(request.match["n"]))
        if issue is None:
            return self.not_found(request)
        data = request.json() or {}
        if data.get("state") not in (None, "open", "closed"):
            return invalid("state")
        if "state_reason" in data and data["state_reason"] not in STATE_REASONS:
            return invalid("state_reason")
        if data.get("milestone") == "":
            data["milestone"] = None  # what PyGithub sends to clear it; GitHub takes it like null
        if data.get("milestone") is not None and data["milestone"] not in self.milestones:
            return invalid("milestone")
        for name in ("title", "body", "milestone"):
            if name in data:
                issue[name] = data[name]
        if "labels" in data:
            issue["labels"] = list(dict.fromkeys(data["labels"]))
        if "state" in data and data["state"] != issue["state"]:
            issue["state"] = data["state"]
            issue["closed_at"] = self.tick() if data["state"] == "closed" else None
            default_reason = "completed" if data["state"] == "closed" else "reopened"
            issue["state_reason"] = data.get("state_reason") or default_reason
        issue["updated_at"] = self.tick()
        return Response(200, self.issue_json(issue))

    def list_comments(self, request: Request) -> Response:
        number = int(request.match["n"])
        if number not in self.issues:
            return self.not_found(request)
        found = self.comments[number]
        if since := request.arg("since"):
            found = [c for c in found if c["updated_at"] >= since]
        return self._page(request, [self.comment_json(number, c) for c in found])

    def _comment(self, number: int, body: str, author: str) -> dict[str, Any]:
        now = self.tick()
        comment = {"id": next(self.ids), "body": body, "author": author, "created_at": now, "updated_at": now}
        self.comments[number].append(comment)
        self.issues[number]["updated_at"] = now
        return comment

    def _find_comment(self, request: Request) -> tuple[int | None, dict | None]:
        wanted = int(request.match["cid"])
        for number, comments in self.comments.items():
            for comment in comments:
                if comment["id"] == wanted:
                    return number, comment
        return None, None

    def get_comment(self, request: Request) -> Response:
        number, comment = self._find_comment(request)
        if comment is None:
            return self.not_found(request)
        return Response(200, self.comment_json(number, comment))

    def update_comment(self, request: Request) -> Response:
        """PATCH /repos/{owner}/{repo}/issues/comments/{id} {"body": ...}."""
        number, comment = self._find_comment(request)
        if comment is None:
            return self.not_found(request)
        body = (request.json() or {}).get("body")
        if not body:
            return invalid("body", resource="IssueComment", code="missing_field")
        comment.update(body=body, updated_at=self.tick())
        return Response(200, self.comment_json(number, comment))

    def delete_comment(self, request: Request) -> Response:
        """DELETE /repos/{owner}/{repo}/issues/comments/{id}: 204 No Content."""
        number, comment = self._find_comment(request)
        if comment is None:
            return self.not_found(request)
        self.comments[number].remove(comment)
        return Response(204)

    def create_comment(self, request: Request) -> Response:
        number = int(request.match["n"])
        if number not in self.issues:
            return self.not_found(request)
        body = (request.json() or {}).get("body")
        if not body:
            return invalid("body", resource="IssueComment", code="missing_field")
        return Response(201, self.comment_json(number, self._comment(number, body, "handoff-bot")))

    def get_repo(self, request: Request) -> Response:
        """GET /repos/{owner}/{repo}: the repository."""
        owner, name = self.repo.split("/")
        return Response(200, {"id": 1296269, "name": name, "full_name": self.repo, "private": False,
                              "owner": self.user(owner), "html_url": f"{self.origin}/{self.repo}",
                              "has_issues": True, "open_issues_count": len(self.issues)})

    def authenticated_user(self, request: Request) -> Response:
        """GET /user: the account the token belongs to (the one Handoff's issues are opened by)."""
        return Response(200, self.user("handoff-bot"))

    def list_milestones(self, request: Request) -> Response:
        state = request.arg("state", "open")
        found = [m for m in self.milestones.values() if state == "all" or m["state"] == state]
        return self._page(request, [self.milestone_json(m) for m in found])

    def create_milestone(self, request: Request) -> Response:
        title = (request.json() or {}).get("title")
        if not title:
            return invalid("title", resource="Milestone", code="missing_field")
        if any(m["title"] == title for m in self.milestones.values()):
            return invalid("title", resource="Milestone", code="already_exists")
        number = len(self.milestones) + 1
        self.milestones[number] = {"id": next(self.ids), "number": number, "title": title, "state": "open",
                                   "created_at": self.tick()}
        return Response(201, self.milestone_json(self.milestones[number]))

    # ------------------------------------------------------------------ a person on GitHub
    def add_issue(self, title: str, body: str = "", **fields) -> dict[str, Any]:
        """An issue someone opened on GitHub; `fields` override the stored values (labels, state, ...)."""
        number = next(self.numbers)
        now = self.tick()
        self.issues[number] = {
            "id": next(self.ids), "number": number, "state": "open", "state_reason": None, "title": title,
            "body": body, "labels": [], "milestone": None, "author": "gina-github", "created_at": now,
            "updated_at": now, "closed_at": None, **fields,
        }
        self.comments[number] = []
        return self.issues[number]

    def only_issue(self) -> dict[str, Any]:
        (issue,) = self.issues.values()
        return issue

    def set(self, number: int, **changes) -> dict[str, Any]:
        issue = self.issues[number]
        issue.update(changes)
        issue["updated_at"] = self.tick()
        return issue

    def comment_as(self, number: int, body: str, author: str = "gina-github") -> dict[str, Any]:
        return self.comment_json(number, self._comment(number, body, author))

    def webhook(self, event: str, number: int, *, action: str, comment: dict | None = None,
                secret: str | None = None, delivery: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers GitHub sends for `event` about issue `number`, signed when `secret` is given."""
        payload: dict[str, Any] = {
            "action": action, "issue": self.issue_json(self.issues[number]),
            "repository": {"id": 1, "name": self.repo.split("/")[1], "full_name": self.repo,
                           "html_url": self.web, "url": self.api},
            "sender": self.user("gina-github"),
        }
        if comment is not None:
            payload["comment"] = comment
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
                   "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
                   "X-GitHub-Hook-ID": "42", "User-Agent": "GitHub-Hookshot/abc123"}
        if secret is not None:
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, headers


if __name__ == "__main__":
    # A local GitHub to point a connection at by hand: python -m tests.fakes.github_server [PORT]
    import sys

    server = FakeGitHub().start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"Local GitHub API at {server.base_url} (token ghp-test-token, project acme/billing). Ctrl-C stops it.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
