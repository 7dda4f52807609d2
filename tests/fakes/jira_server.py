"""A local Jira answering the REST API v2 calls Handoff makes, in the reference's shapes.

Issues (create, edit, get with `fields`), workflow transitions, comments,
attachments (multipart, refused without X-Atlassian-Token: no-check), remote
links (upserted by globalId), and JQL search (POST /search/jql with
nextPageToken/isLast) for the clauses the connector writes. Errors come as
Jira's ErrorCollection ({"errorMessages": [...], "errors": {...}}).
Helpers act as a person in Jira (edit, transition, comment) and build the
webhook bodies Jira sends for those events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

API = "/rest/api/2"
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
STATUS_IDS = {"To Do": "10000", "In Progress": "3", "In Review": "10002", "Done": "10001", "Won't Do": "10003"}
CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate", "Done": "done",
            "Won't Do": "done"}
# Jira's default software workflow lets any status move to any other.
OPEN_WORKFLOW = {
    "To Do": [("11", "To Do", "To Do"), ("21", "In Progress", "In Progress"), ("31", "Done", "Done")],
    "In Progress": [("11", "To Do", "To Do"), ("21", "In Progress", "In Progress"), ("31", "Done", "Done")],
    "Done": [("11", "To Do", "To Do"), ("21", "In Progress", "In Progress"), ("31", "Done", "Done")],
}
# A review workflow: To Do -> In Progress -> In Review -> Done, one step at a time
# (GET .../transitions lists only the transitions out of the current status).
REVIEW_WORKFLOW = {
    "To Do": [("21", "Start progress", "In Progress")],
    "In Progress": [("11", "Stop progress", "To Do"), ("51", "Send to review", "In Review")],
    "In Review": [("21", "Back to work", "In Progress"), ("31", "Approve", "Done")],
    "Done": [("41", "Reopen", "To Do")],
    "Won't Do": [],
}
# A stricter workflow: work must be started before it is done.
STRICT_WORKFLOW = {
    "To Do": [("21", "Start progress", "In Progress")],
    "In Progress": [("11", "Stop progress", "To Do"), ("31", "Resolve", "Done")],
    "Done": [("41", "Reopen", "To Do")],
}


def error(status: int, *messages: str, **fields: str) -> Response:
    return Response(status, {"errorMessages": list(messages), "errors": fields})


def jira_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


# The issue types of a Jira Software project.
ISSUE_TYPES = ("Bug", "Task", "Story")


class FakeJira(FakeServer):
    def __init__(self, *, email: str = "bot@example.com", api_token: str = "jira-api-token",
                 project: str = "HD", components=("Invoices",), versions=("2.4.0",)) -> None:
        super().__init__()
        self.credentials = base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self.project = {"id": "10000", "key": project, "name": "Help desk defects",
                        "components": list(components), "versions": list(versions)}
        self.workflow = OPEN_WORKFLOW
        self.issues: dict[str, dict[str, Any]] = {}  # by id
        self.remote_links: dict[str, dict[str, dict]] = {}  # issue id -> globalId -> link
        self.ids = itertools.count(10001)
        self.numbers = itertools.count(1)
        self.clock = datetime.now(UTC)
        for method, pattern, handler in [
            ("POST", "/issue", self.create_issue),
            ("GET", "/issue/(?P<ref>[^/]+)", self.get_issue),
            ("PUT", "/issue/(?P<ref>[^/]+)", self.edit_issue),
            ("GET", "/issue/(?P<ref>[^/]+)/transitions", self.get_transitions),
            ("POST", "/issue/(?P<ref>[^/]+)/transitions", self.do_transition),
            ("GET", "/issue/(?P<ref>[^/]+)/comment", self.get_comments),
            ("POST", "/issue/(?P<ref>[^/]+)/comment", self.add_comment),
            ("PUT", "/issue/(?P<ref>[^/]+)/comment/(?P<cid>[^/]+)", self.edit_comment),
            ("DELETE", "/issue/(?P<ref>[^/]+)/comment/(?P<cid>[^/]+)", self.delete_comment),
            ("POST", "/issue/(?P<ref>[^/]+)/attachments", self.add_attachment),
            ("POST", "/issue/(?P<ref>[^/]+)/remotelink", self.add_remote_link),
            ("POST", "/search/jql", self.search),
            ("GET", "/myself", self.myself),
            ("GET", "/project/(?P<key>[^/]+)", self.get_project),
        ]:
            self.route(method, API + pattern, handler)

    # ------------------------------------------------------------------ plumbing
    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") == f"Basic {self.credentials}"

    def unauthorized(self, request: Request) -> Response:
        return Response(401, "Client must be authenticated to access this resource.",
                        {"Content-Type": "text/html;charset=UTF-8"})

    def not_found(self, request: Request) -> Response:
        return error(404, "Issue does not exist or you do not have permission to see it.")

    def tick(self) -> str:
        """Now, as Jira writes it; strictly later than the last tick."""
        self.clock = max(datetime.now(UTC), self.clock + timedelta(milliseconds=1))
        return jira_time(self.clock)

    def issue(self, ref: str) -> dict[str, Any] | None:
        if ref in self.issues:
            return self.issues[ref]
        return next((i for i in self.issues.values() if i["key"] == ref.upper()), None)

    def user(self, name: str = "Handoff bot") -> dict[str, Any]:
        return {"accountId": hashlib.md5(name.encode()).hexdigest()[:24], "displayName": name, "active": True}

    def status(self, name: str) -> dict[str, Any]:
        return {"self": f"{self.base_url}{API}/status/{STATUS_IDS[name]}", "name": name, "id": STATUS_IDS[name],
                "statusCategory": {"key": CATEGORY[name], "name": name}}

    def as_json(self, issue: dict[str, Any], wanted: str | None = None) -> dict[str, Any]:
        fields = {
            "summary": issue["summary"], "description": issue["description"],
            "issuetype": {"name": issue["issuetype"]},
            "project": {"id": self.project["id"], "key": self.project["key"]},
            "status": self.status(issue["status"]),
            "priority": {"name": issue["priority"]} if issue["priority"] else None,
            "components": [{"name": c} for c in issue["components"]],
            "fixVersions": [{"name": v, "released": False, "archived": False} for v in issue["fixVersions"]],
            "labels": list(issue["labels"]),
            "comment": {"comments": list(issue["comments"]), "maxResults": len(issue["comments"]),
                        "total": len(issue["comments"]), "startAt": 0},
            # As Jira answers: each attachment's details, never its bytes.
            "attachment": [{k: v for k, v in a.items() if k != "data"} for a in issue["attachments"]],
            "created": issue["created"], "updated": issue["updated"],
            "creator": self.user(issue["creator"]), "reporter": self.user(issue.get("reporter") or issue["creator"]),
        }
        if wanted and wanted not in ("*all", "*navigable"):
            names = set(wanted.split(",")) if isinstance(wanted, str) else set(wanted)
            fields = {k: v for k, v in fields.items() if k in names}
        return {"expand": "renderedFields,names,schema,operations,editmeta,changelog",
                "id": issue["id"], "self": f"{self.base_url}{API}/issue/{issue['id']}", "key": issue["key"],
                "fields": fields}

    # ------------------------------------------------------------------ validation
    def _check_fields(self, fields: dict[str, Any]) -> dict[str, str]:
        errors = {}
        if "priority" in fields and fields["priority"]["name"] not in PRIORITIES:
            errors["priority"] = "The priority selected is invalid."
        for version in fields.get("fixVersions") or []:
            if version["name"] not in self.project["versions"]:
                errors["fixVersions"] = f"Version name '{version['name']}' is not valid"
        for component in fields.get("components") or []:
            if component["name"] not in self.project["components"]:
                errors["components"] = f"Component name '{component['name']}' is not valid"
        if "summary" in fields and not fields["summary"]:
            errors["summary"] = "You must specify a summary of the issue."
        return errors

    # ------------------------------------------------------------------ routes
    def create_issue(self, request: Request) -> Response:
        fields = (request.json() or {}).get("fields") or {}
        if (fields.get("project") or {}).get("key") != self.project["key"]:
            return error(400, project="valid project is required")
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            return error(400, issuetype="valid issue type is required")
        if not fields.get("summary"):
            return error(400, summary="You must specify a summary of the issue.")
        errors = self._check_fields(fields)
        if errors:
            return error(400, **errors)
        issue_id = str(next(self.ids))
        now = self.tick()
        issue = {
            "id": issue_id, "key": f"{self.project['key']}-{next(self.numbers)}",
            "summary": fields["summary"], "description": fields.get("description") or "",
            "issuetype": fields["issuetype"]["name"], "status": "To Do",
            "priority": (fields.get("priority") or {"name": "Medium"})["name"],
            "components": [c["name"] for c in fields.get("components") or []],
            "fixVersions": [v["name"] for v in fields.get("fixVersions") or []],
            "labels": list(fields.get("labels") or []), "comments": [], "attachments": [],
            "created": now, "updated": now, "creator": "Handoff bot",
        }
        self.issues[issue_id] = issue
        return Response(201, {"id": issue_id, "key": issue["key"], "self": f"{self.base_url}{API}/issue/{issue_id}"})

    def get_issue(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        return Response(200, self.as_json(issue, request.arg("fields")))

    def edit_issue(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        data = request.json() or {}
        fields = data.get("fields") or {}
        errors = self._check_fields(fields)
        if errors:
            return error(400, **errors)
        for name in ("summary", "description"):
            if name in fields:
                issue[name] = fields[name]
        if "priority" in fields:
            issue["priority"] = fields["priority"]["name"]
        if "fixVersions" in fields:
            issue["fixVersions"] = [v["name"] for v in fields["fixVersions"]]
        for operation in (data.get("update") or {}).get("labels", []):
            if "add" in operation and operation["add"] not in issue["labels"]:
                issue["labels"].append(operation["add"])
            if "remove" in operation and operation["remove"] in issue["labels"]:
                issue["labels"].remove(operation["remove"])
        issue["updated"] = self.tick()
        return Response(204)

    def get_transitions(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        return Response(200, {"expand": "transitions", "transitions": [
            {"id": tid, "name": name, "to": self.status(to), "hasScreen": False, "isGlobal": False,
             "isInitial": False, "isAvailable": True, "isConditional": False, "isLooped": False}
            for tid, name, to in self.workflow[issue["status"]]
        ]})

    def do_transition(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        wanted = ((request.json() or {}).get("transition") or {}).get("id")
        for tid, _name, to in self.workflow[issue["status"]]:
            if tid == wanted:
                issue["status"] = to
                issue["updated"] = self.tick()
                return Response(204)
        return error(400, f"Transition id '{wanted}' is not valid for this issue.")

    def get_comments(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        comments = list(issue["comments"])
        if request.arg("orderBy") == "-created":
            comments.reverse()
        limit = int(request.arg("maxResults", "50"))
        return Response(200, {"startAt": 0, "maxResults": limit, "total": len(comments), "comments": comments[:limit]})

    def _comment(self, issue: dict[str, Any], body: str, author: str) -> dict[str, Any]:
        now = self.tick()
        comment_id = str(next(self.ids))
        comment = {"self": f"{self.base_url}{API}/issue/{issue['id']}/comment/{comment_id}", "id": comment_id,
                   "author": self.user(author), "body": body, "updateAuthor": self.user(author),
                   "created": now, "updated": now, "jsdPublic": True}
        issue["comments"].append(comment)
        issue["updated"] = now
        return comment

    def add_comment(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        body = (request.json() or {}).get("body")
        if not body:
            return error(400, body="Comment body can not be empty!")
        return Response(201, self._comment(issue, body, "Handoff bot"))

    def _find_comment(self, request: Request) -> tuple[dict | None, dict | None]:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return None, None
        return issue, next((c for c in issue["comments"] if c["id"] == request.match["cid"]), None)

    def edit_comment(self, request: Request) -> Response:
        """PUT /issue/{key}/comment/{id}: the comment, with its new body."""
        issue, comment = self._find_comment(request)
        if comment is None:
            return error(404, "Can not find a comment for the id.")
        body = (request.json() or {}).get("body")
        if not body:
            return error(400, body="Comment body can not be empty!")
        comment.update(body=body, updated=self.tick(), updateAuthor=self.user("Handoff bot"))
        issue["updated"] = comment["updated"]
        return Response(200, comment)

    def delete_comment(self, request: Request) -> Response:
        """DELETE /issue/{key}/comment/{id}: 204."""
        issue, comment = self._find_comment(request)
        if comment is None:
            return error(404, "Can not find a comment for the id.")
        issue["comments"].remove(comment)
        issue["updated"] = self.tick()
        return Response(204)

    def add_attachment(self, request: Request) -> Response:
        if request.header("X-Atlassian-Token") != "no-check":
            return Response(403, "XSRF check failed", {"Content-Type": "text/plain"})
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        made = []
        for name, filename, content_type, data in request.multipart_files():
            if name != "file":
                continue
            attachment_id = str(next(self.ids))
            attachment = {"self": f"{self.base_url}{API}/attachment/{attachment_id}", "id": attachment_id,
                          "filename": filename, "author": self.user(), "created": self.tick(), "size": len(data),
                          "mimeType": content_type,
                          "content": f"{self.base_url}/secure/attachment/{attachment_id}/{filename}",
                          "data": data}
            issue["attachments"].append(attachment)
            made.append({k: v for k, v in attachment.items() if k != "data"})
        issue["updated"] = self.tick()
        return Response(200, made)

    def add_remote_link(self, request: Request) -> Response:
        issue = self.issue(request.match["ref"])
        if issue is None:
            return self.not_found(request)
        link = request.json() or {}
        if not (link.get("object") or {}).get("url") or not link["object"].get("title"):
            return error(400, object="The remote link object requires a url and a title.")
        links = self.remote_links.setdefault(issue["id"], {})
        global_id = link.get("globalId") or uuid.uuid4().hex
        existed = global_id in links
        link_id = links[global_id]["id"] if existed else next(self.ids)
        links[global_id] = {**link, "id": link_id}
        return Response(200 if existed else 201,
                        {"id": link_id, "self": f"{self.base_url}{API}/issue/{issue['id']}/remotelink/{link_id}"})

    def get_project(self, request: Request) -> Response:
        """GET /project/{projectIdOrKey}: the project, or 404 when there is none by that key or id."""
        if request.match["key"] not in (self.project["key"], self.project["id"]):
            return Response(404, {"errorMessages": ["No project could be found with key."], "errors": {}})
        return Response(200, {"id": self.project["id"], "key": self.project["key"], "name": self.project["name"]})

    def myself(self, request: Request) -> Response:
        """GET /myself: the account the credentials act as (the one Handoff's issues are created by)."""
        return Response(200, {**self.user("Handoff bot"), "emailAddress": "bot@example.com"})

    def search(self, request: Request) -> Response:
        data = request.json() or {}
        jql = data.get("jql", "")
        found = list(self.issues.values())
        if m := re.search(r'project = "([^"]+)"', jql):
            found = [i for i in found if i["key"].startswith(m.group(1) + "-")]
        if m := re.search(r'labels = "([^"]+)"', jql):
            found = [i for i in found if m.group(1) in i["labels"]]
        if m := re.search(r'updated >= "-(\d+)m"', jql):
            bound = jira_time(datetime.now(UTC) - timedelta(minutes=int(m.group(1))))
            found = [i for i in found if i["updated"] >= bound]
        if "ORDER BY updated ASC" in jql:
            found.sort(key=lambda i: i["updated"])
        start = int(data.get("nextPageToken") or 0)
        limit = int(data.get("maxResults") or 50)
        page = found[start:start + limit]
        body: dict[str, Any] = {"issues": [self.as_json(i, data.get("fields") or ["id"]) for i in page],
                                "isLast": start + limit >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = str(start + limit)
        return Response(200, body)

    # ------------------------------------------------------------------ a person in Jira
    def add_issue(self, summary: str, **fields) -> dict[str, Any]:
        """An issue someone made in Jira; `fields` override the stored values (status, labels, ...)."""
        issue_id = str(next(self.ids))
        now = self.tick()
        self.issues[issue_id] = {
            "id": issue_id, "key": f"{self.project['key']}-{next(self.numbers)}", "summary": summary,
            "description": "", "issuetype": "Bug", "status": "To Do", "priority": "Medium", "components": [],
            "fixVersions": [], "labels": [], "comments": [], "attachments": [], "created": now, "updated": now,
            "creator": "Jamie Jira", **fields,
        }
        return self.issues[issue_id]

    def only_issue(self) -> dict[str, Any]:
        (issue,) = self.issues.values()
        return issue

    def set(self, key: str, **changes) -> dict[str, Any]:
        issue = self.issue(key)
        issue.update(changes)
        issue["updated"] = self.tick()
        return issue

    def comment_as(self, key: str, body: str, author: str = "Jamie Jira") -> dict[str, Any]:
        return self._comment(self.issue(key), body, author)

    def webhook(self, event: str, key: str, *, comment: dict | None = None, secret: str | None = None,
                identifier: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers Jira sends for `event` about issue `key`, signed when `secret` is given."""
        issue = self.as_json(self.issue(key))
        payload: dict[str, Any] = {"timestamp": int(self.clock.timestamp() * 1000), "webhookEvent": event,
                                   "user": self.user("Jamie Jira")}
        if event.startswith("jira:"):
            payload.update(issue_event_type_name="issue_generic", issue=issue,
                           changelog={"id": str(next(self.ids)), "items": []})
        else:
            trimmed = {k: v for k, v in issue["fields"].items()
                       if k in ("summary", "status", "priority", "issuetype", "project")}
            payload.update(issue={**issue, "fields": trimmed}, comment=comment)
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json",
                   "X-Atlassian-Webhook-Identifier": identifier or str(next(self.ids)),
                   "X-Atlassian-Webhook-Flow": "Primary"}
        if secret is not None:
            headers["X-Hub-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, headers


if __name__ == "__main__":
    # A local Jira to point a connection at by hand: python -m tests.fakes.jira_server [PORT]
    import sys
    import time as _time

    server = FakeJira().start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"Local Jira at {server.base_url} (token bot@example.com:jira-api-token, project HD). Ctrl-C stops it.")
    try:
        while True:
            _time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
