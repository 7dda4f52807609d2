"""A local GitLab (REST API v4 under /api/v4) answering the calls Handoff makes.

One project, addressed by its URL-encoded path ("acme%2Fbilling") or its id:
issues (list with state, order_by, sort, updated_after, author_id and offset
pagination headers X-Page/X-Per-Page/X-Next-Page/X-Total/Link; create; get;
edit with add_labels/remove_labels, milestone_id and state_event), their notes
(list, create, edit, delete), milestones (list by title, create), uploads and
GET /user, in the shapes of GitLab's API reference. Labels named on an issue
that do not exist yet are made, as GitLab does. Every answer carries the
RateLimit-* headers GitLab.com sends; a spent budget is answered 429 with
Retry-After. Errors look like GitLab's ({"message": ...}). Helpers act as a
person on GitLab and build the Issue Hook and Note Hook deliveries it sends.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from tests.fakes.server import FakeServer, Request, Response

PROJECT_ID = 42


def gl_time(moment: datetime) -> str:
    """The API's times: "2024-05-01T10:00:00.000Z"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hook_time(api_time: str) -> str:
    """A Note Hook's times: "2024-05-01 10:00:00 UTC"."""
    return api_time[:19].replace("T", " ") + " UTC"


def bad_request(message: Any) -> Response:
    return Response(400, {"message": message})


class FakeGitLab(FakeServer):
    prefix = "/api/v4"

    def __init__(self, *, token: str = "glpat-test-token", project: str = "acme/billing", limit: int = 2000) -> None:
        super().__init__()
        self.token = token
        self.project = project
        self.limit = limit
        self.remaining = limit
        self.reset_at = int(time.time()) + 60
        self.issues: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.milestones: dict[int, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.uploads: list[tuple[str, bytes]] = []
        self.users = {"handoff-bot": 7, "gina-gitlab": 8, "oscar-outsider": 9}
        self.ids = itertools.count(1000)
        self.iids = itertools.count(1)
        self.clock = datetime.now(UTC).replace(microsecond=0)
        project_path = "/projects/(?P<project>[^/]+)"
        issue = f"{project_path}/issues/(?P<iid>\\d+)"
        for method, pattern, handler in [
            ("GET", "/user", self.current_user),
            ("GET", project_path, self.get_project),
            ("GET", f"{project_path}/issues", self.list_issues),
            ("POST", f"{project_path}/issues", self.create_issue),
            ("GET", issue, self.get_issue),
            ("PUT", issue, self.edit_issue),
            ("GET", f"{issue}/notes", self.list_notes),
            ("POST", f"{issue}/notes", self.create_note),
            ("PUT", f"{issue}/notes/(?P<note>\\d+)", self.edit_note),
            ("DELETE", f"{issue}/notes/(?P<note>\\d+)", self.delete_note),
            ("GET", f"{project_path}/milestones", self.list_milestones),
            ("POST", f"{project_path}/milestones", self.create_milestone),
            ("POST", f"{project_path}/uploads", self.upload),
        ]:
            self.route(method, pattern, handler)

    # ------------------------------------------------------------------ plumbing
    def authorized(self, request: Request) -> bool:
        bearer = request.header("Authorization") == f"Bearer {self.token}"
        return request.header("PRIVATE-TOKEN") == self.token or bearer

    def unauthorized(self, request: Request) -> Response:
        return Response(401, {"message": "401 Unauthorized"})

    def not_found(self, request: Request, what: str = "Not found") -> Response:
        return Response(404, {"message": f"404 {what}"})

    def _respond(self, request: Request) -> Response:
        if self.authorized(request) and not any(f.matches(request) for f in self.failures):
            if self.remaining <= 0:
                return Response(429, "Retry later\n", {"Retry-After": str(max(1, self.reset_at - int(time.time()))),
                                                      "Content-Type": "text/plain"})
            self.remaining -= 1
        if "/projects/" in request.path and self.authorized(request):
            project = request.path.split("/projects/", 1)[1].split("/", 1)[0]
            if unquote(project) not in (self.project, str(PROJECT_ID)):
                return self.not_found(request, "Project Not Found")
        return super()._respond(request)

    def extra_headers(self, request: Request, response: Response) -> dict[str, str]:
        remaining = max(self.remaining, 0)
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Observed": str(self.limit - remaining),
                "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(self.reset_at),
                "RateLimit-ResetTime": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(self.reset_at)),
                "X-Request-Id": uuid.uuid4().hex[:26].upper(), "X-Gitlab-Meta": "{}"}

    def tick(self) -> str:
        self.clock = max(datetime.now(UTC), self.clock + timedelta(milliseconds=5))
        return gl_time(self.clock)

    @property
    def web(self) -> str:
        return f"{self.origin}/{self.project}"

    def user(self, username: str = "handoff-bot") -> dict[str, Any]:
        user_id = self.users.setdefault(username, 100 + len(self.users))
        return {"id": user_id, "username": username, "name": username.replace("-", " ").title(), "state": "active",
                "locked": False, "avatar_url": None, "web_url": f"{self.origin}/{username}"}

    def label(self, name: str) -> dict[str, Any]:
        if name not in self.labels:
            self.labels[name] = {"id": next(self.ids), "name": name, "color": "#6699cc", "description": None}
        return self.labels[name]

    def issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        iid = issue["iid"]
        milestone = self.milestones.get(issue["milestone_id"]) if issue["milestone_id"] else None
        return {
            "id": issue["id"], "iid": iid, "project_id": PROJECT_ID, "title": issue["title"],
            "description": issue["description"], "state": issue["state"], "created_at": issue["created_at"],
            "updated_at": issue["updated_at"], "closed_at": issue["closed_at"],
            "closed_by": self.user() if issue["state"] == "closed" else None,
            "labels": list(issue["labels"]), "milestone": self.milestone_json(milestone) if milestone else None,
            "assignees": [], "author": self.user(issue["author"]), "type": "ISSUE", "assignee": None,
            "user_notes_count": len([n for n in self.notes[iid] if not n["system"]]), "merge_requests_count": 0,
            "upvotes": 0, "downvotes": 0, "due_date": None, "confidential": False, "discussion_locked": None,
            "issue_type": "issue", "web_url": f"{self.web}/-/issues/{iid}",
            "time_stats": {"time_estimate": 0, "total_time_spent": 0},
            "references": {"short": f"#{iid}", "relative": f"#{iid}", "full": f"{self.project}#{iid}"},
            "_links": {"self": f"{self.base_url}/projects/{PROJECT_ID}/issues/{iid}",
                       "notes": f"{self.base_url}/projects/{PROJECT_ID}/issues/{iid}/notes"},
        }

    def milestone_json(self, milestone: dict[str, Any]) -> dict[str, Any]:
        return {"id": milestone["id"], "iid": milestone["iid"], "project_id": PROJECT_ID,
                "title": milestone["title"], "description": None, "state": milestone["state"],
                "created_at": milestone["created_at"], "updated_at": milestone["created_at"], "due_date": None,
                "start_date": None, "expired": False, "web_url": f"{self.web}/-/milestones/{milestone['iid']}"}

    def note_json(self, note: dict[str, Any]) -> dict[str, Any]:
        return {"id": note["id"], "type": None, "body": note["body"], "attachment": None,
                "author": self.user(note["author"]), "created_at": note["created_at"],
                "updated_at": note["updated_at"], "system": note["system"], "noteable_id": note["issue_id"],
                "noteable_type": "Issue", "noteable_iid": note["iid"], "project_id": PROJECT_ID,
                "resolvable": False, "confidential": False, "internal": False}

    def _page(self, request: Request, items: list) -> Response:
        per_page = min(int(request.arg("per_page", "20")), 100)
        page = int(request.arg("page", "1"))
        chunk = items[(page - 1) * per_page: page * per_page]
        total_pages = max(1, -(-len(items) // per_page))
        query = "&".join(f"{k}={v[0]}" for k, v in request.query.items() if k != "page")
        link = f"{self.origin}{request.path}?{query}&page="
        links = [f'<{link}1>; rel="first"', f'<{link}{total_pages}>; rel="last"']
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                   "X-Total-Pages": str(total_pages), "X-Next-Page": "",
                   "X-Prev-Page": str(page - 1) if page > 1 else ""}
        if page < total_pages:
            headers["X-Next-Page"] = str(page + 1)
            links.insert(0, f'<{link}{page + 1}>; rel="next"')
        headers["Link"] = ", ".join(links)
        return Response(200, chunk, headers)

    def _issue(self, request: Request) -> dict[str, Any] | None:
        return self.issues.get(int(request.match["iid"]))

    def _labels(self, raw: Any) -> list[str]:
        names = raw.split(",") if isinstance(raw, str) else list(raw or [])
        return [self.label(n.strip())["name"] for n in names if n.strip()]

    # ------------------------------------------------------------------ routes
    def current_user(self, request: Request) -> Response:
        """GET /user: the account the token belongs to."""
        return Response(200, {**self.user("handoff-bot"), "email": "bot@example.com", "bot": False})

    def get_project(self, request: Request) -> Response:
        """GET /projects/:id: the project by its id or URL-encoded full path."""
        return Response(200, {
            "id": PROJECT_ID, "name": self.project.rsplit("/", 1)[-1], "path_with_namespace": self.project,
            "web_url": f"{self.origin}/{self.project}",
        })

    def list_issues(self, request: Request) -> Response:
        state = request.arg("state", "all")
        found = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        if after := request.arg("updated_after"):
            found = [i for i in found if i["updated_at"] >= after]
        if author := request.arg("author_id"):
            found = [i for i in found if self.users.get(i["author"]) == int(author)]
        key = "updated_at" if request.arg("order_by") == "updated_at" else "created_at"
        found.sort(key=lambda i: (i[key], i["iid"]), reverse=request.arg("sort", "desc") == "desc")
        return self._page(request, [self.issue_json(i) for i in found])

    def _milestone_ok(self, data: dict[str, Any]) -> bool:
        value = data.get("milestone_id")
        return value in (None, "", 0) or int(value) in self.milestones

    def create_issue(self, request: Request) -> Response:
        data = request.json() or {}
        if not data.get("title"):
            return bad_request("title is missing")
        if len(data["title"]) > 255:
            return bad_request({"title": ["is too long (maximum is 255 characters)"]})
        if not self._milestone_ok(data):
            return bad_request({"milestone": ["must be in the same project or group"]})
        iid = next(self.iids)
        now = self.tick()
        self.issues[iid] = {
            "id": next(self.ids), "iid": iid, "state": "opened", "title": data["title"],
            "description": data.get("description"), "labels": self._labels(data.get("labels")),
            "milestone_id": int(data["milestone_id"]) if data.get("milestone_id") else None,
            "author": "handoff-bot", "created_at": now, "updated_at": now, "closed_at": None,
        }
        self.notes[iid] = []
        return Response(201, self.issue_json(self.issues[iid]))

    def get_issue(self, request: Request) -> Response:
        issue = self._issue(request)
        return Response(200, self.issue_json(issue)) if issue else self.not_found(request)

    def edit_issue(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self.not_found(request)
        data = request.json() or {}
        if data.get("state_event") not in (None, "close", "reopen"):
            return bad_request("state_event does not have a valid value")
        if not self._milestone_ok(data):
            return bad_request({"milestone": ["must be in the same project or group"]})
        for name in ("title", "description"):
            if name in data:
                issue[name] = data[name]
        if "labels" in data:
            issue["labels"] = self._labels(data["labels"])
        removed = set(self._labels(data.get("remove_labels")))
        issue["labels"] = [n for n in issue["labels"] if n not in removed]
        issue["labels"] += [n for n in self._labels(data.get("add_labels")) if n not in issue["labels"]]
        if "milestone_id" in data:
            issue["milestone_id"] = int(data["milestone_id"]) if data["milestone_id"] else None
        event = data.get("state_event")
        if event == "close" and issue["state"] == "opened":
            issue.update(state="closed", closed_at=self.tick())
            self._note(issue["iid"], "closed", "handoff-bot", system=True)
        elif event == "reopen" and issue["state"] == "closed":
            issue.update(state="opened", closed_at=None)
            self._note(issue["iid"], "reopened", "handoff-bot", system=True)
        issue["updated_at"] = self.tick()
        return Response(200, self.issue_json(issue))

    def list_notes(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self.not_found(request)
        found = sorted(self.notes[issue["iid"]], key=lambda n: (n[request.arg("order_by", "created_at")], n["id"]),
                       reverse=request.arg("sort", "desc") == "desc")
        return self._page(request, [self.note_json(n) for n in found])

    def _note(self, iid: int, body: str, author: str, *, system: bool = False) -> dict[str, Any]:
        now = self.tick()
        note = {"id": next(self.ids), "iid": iid, "issue_id": self.issues[iid]["id"], "body": body,
                "author": author, "created_at": now, "updated_at": now, "system": system}
        self.notes[iid].append(note)
        self.issues[iid]["updated_at"] = now
        return note

    def create_note(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self.not_found(request)
        body = (request.json() or {}).get("body")
        if not body:
            return bad_request("body is missing")
        return Response(201, self.note_json(self._note(issue["iid"], body, "handoff-bot")))

    def _find_note(self, request: Request) -> dict[str, Any] | None:
        issue = self._issue(request)
        notes = self.notes.get(issue["iid"], []) if issue else []
        return next((n for n in notes if n["id"] == int(request.match["note"])), None)

    def edit_note(self, request: Request) -> Response:
        note = self._find_note(request)
        if note is None:
            return self.not_found(request, "Note Not Found")
        if note["author"] != "handoff-bot":
            return Response(403, {"message": "403 Forbidden"})
        note.update(body=(request.json() or {}).get("body") or note["body"], updated_at=self.tick())
        return Response(200, self.note_json(note))

    def delete_note(self, request: Request) -> Response:
        note = self._find_note(request)
        if note is None:
            return self.not_found(request, "Note Not Found")
        self.notes[note["iid"]].remove(note)
        return Response(204)

    def list_milestones(self, request: Request) -> Response:
        found = list(self.milestones.values())
        if title := request.arg("title"):
            found = [m for m in found if m["title"] == title]
        if state := request.arg("state"):
            found = [m for m in found if m["state"] == state]
        return self._page(request, [self.milestone_json(m) for m in found])

    def create_milestone(self, request: Request) -> Response:
        title = (request.json() or {}).get("title")
        if not title:
            return bad_request("title is missing")
        if any(m["title"] == title for m in self.milestones.values()):
            return bad_request({"title": ["has already been taken"]})
        milestone_id = next(self.ids)
        self.milestones[milestone_id] = {"id": milestone_id, "iid": len(self.milestones) + 1, "title": title,
                                         "state": "active", "created_at": self.tick()}
        return Response(201, self.milestone_json(self.milestones[milestone_id]))

    def upload(self, request: Request) -> Response:
        files = [f for f in request.multipart_files() if f[0] == "file"]
        if not files:
            return bad_request("file is missing")
        _, name, _, data = files[0]
        self.uploads.append((name, data))
        secret = uuid.uuid4().hex
        url = f"/uploads/{secret}/{name}"
        return Response(201, {"id": len(self.uploads), "alt": name, "url": url,
                              "full_path": f"/-/project/{PROJECT_ID}{url}", "markdown": f"[{name}]({url})"})

    # ------------------------------------------------------------------ a person on GitLab
    def add_issue(self, title: str, description: str = "", **fields) -> dict[str, Any]:
        """An issue someone opened on GitLab; `fields` override the stored values (labels, state, author, ...)."""
        iid = next(self.iids)
        now = self.tick()
        self.issues[iid] = {
            "id": next(self.ids), "iid": iid, "state": "opened", "title": title, "description": description,
            "labels": [], "milestone_id": None, "author": "gina-gitlab", "created_at": now, "updated_at": now,
            "closed_at": None, **fields,
        }
        self.notes[iid] = []
        return self.issues[iid]

    def only_issue(self) -> dict[str, Any]:
        (issue,) = self.issues.values()
        return issue

    def set(self, iid: int, **changes) -> dict[str, Any]:
        issue = self.issues[iid]
        issue.update(changes)
        issue["updated_at"] = self.tick()
        return issue

    def milestone_titled(self, title: str) -> dict[str, Any]:
        return next(m for m in self.milestones.values() if m["title"] == title)

    def comment_as(self, iid: int, body: str, author: str = "gina-gitlab") -> dict[str, Any]:
        return self._note(iid, body, author)

    def edit_as(self, note: dict[str, Any], body: str) -> dict[str, Any]:
        note.update(body=body, updated_at=self.tick())
        self.issues[note["iid"]]["updated_at"] = note["updated_at"]
        return note

    def user_notes(self, iid: int) -> list[dict[str, Any]]:
        return [n for n in self.notes[iid] if not n["system"]]

    # ------------------------------------------------------------------ webhooks
    def _project_hook(self) -> dict[str, Any]:
        return {"id": PROJECT_ID, "name": self.project.rsplit("/", 1)[-1], "web_url": self.web,
                "path_with_namespace": self.project, "namespace": self.project.split("/")[0],
                "default_branch": "main", "visibility_level": 0}

    def _hook_labels(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": self.label(n)["id"], "title": n, "color": "#6699cc", "project_id": PROJECT_ID,
                 "type": "ProjectLabel", "group_id": None} for n in issue["labels"]]

    def _hook_issue(self, issue: dict[str, Any], *, hook_times: bool) -> dict[str, Any]:
        convert = hook_time if hook_times else (lambda value: value[:19] + "Z")
        return {"id": issue["id"], "iid": issue["iid"], "title": issue["title"], "description": issue["description"],
                "state": issue["state"], "project_id": PROJECT_ID, "author_id": self.users[issue["author"]],
                "milestone_id": issue["milestone_id"], "created_at": convert(issue["created_at"]),
                "updated_at": convert(issue["updated_at"]), "closed_at": None, "confidential": False,
                "labels": self._hook_labels(issue), "url": f"{self.web}/-/issues/{issue['iid']}", "type": "Issue"}

    def _headers(self, event: str, secret: str | None, delivery: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": "GitLab/17.5.0", "X-Gitlab-Event": event,
                   "X-Gitlab-Event-UUID": delivery or str(uuid.uuid4()), "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
                   "X-Gitlab-Instance": self.origin}
        if secret is not None:
            headers["X-Gitlab-Token"] = secret
        return headers

    def issue_hook(self, iid: int, *, action: str = "update", secret: str | None = None,
                   delivery: str | None = None, project: dict[str, Any] | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the Issue Hook GitLab sends about issue `iid`."""
        issue = self.issues[iid]
        attributes = {**self._hook_issue(issue, hook_times=False), "action": action}
        payload = {"object_kind": "issue", "event_type": "issue", "user": self.user("gina-gitlab"),
                   "project": project or self._project_hook(), "object_attributes": attributes,
                   "labels": self._hook_labels(issue), "changes": {}, "repository": {"name": "billing"}}
        return json.dumps(payload).encode(), self._headers("Issue Hook", secret, delivery)

    def note_hook(self, note: dict[str, Any], *, action: str = "create", secret: str | None = None,
                  delivery: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the Note Hook GitLab sends about `note` on an issue."""
        issue = self.issues[note["iid"]]
        attributes = {"id": note["id"], "note": note["body"], "noteable_type": "Issue",
                      "author_id": self.users[note["author"]], "created_at": hook_time(note["created_at"]),
                      "updated_at": hook_time(note["updated_at"]), "project_id": PROJECT_ID, "system": note["system"],
                      "noteable_id": issue["id"], "action": action, "internal": False,
                      "url": f"{self.web}/-/issues/{issue['iid']}#note_{note['id']}"}
        payload = {"object_kind": "note", "event_type": "note", "user": self.user(note["author"]),
                   "project_id": PROJECT_ID, "project": self._project_hook(), "object_attributes": attributes,
                   "issue": self._hook_issue(issue, hook_times=True), "repository": {"name": "billing"}}
        return json.dumps(payload).encode(), self._headers("Note Hook", secret, delivery)


if __name__ == "__main__":
    # A local GitLab to point a connection at by hand: python -m tests.fakes.gitlab_server [PORT]
    import sys

    server = FakeGitLab().start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"Local GitLab at {server.origin} (token glpat-test-token, project acme/billing). Ctrl-C stops it.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
