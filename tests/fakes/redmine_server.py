"""A small local Redmine answering the REST calls the connector makes to edit descriptions and notes.

Issues with journals (GET /issues/{id}.json?include=journals), PUT /issues/{id}.json
(description, notes, custom fields: 204 No Content), PUT /journals/{id}.json
(Redmine 5.0+: 204), and the lookups (project, statuses, priorities, versions,
custom fields), in the shapes Redmine's REST API documents. Authenticated by
the X-Redmine-API-Key header.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from tests.fakes.server import FakeServer, Request, Response


class FakeRedmine(FakeServer):
    def __init__(self, *, key: str = "redmine-api-key", project: str = "billing",
                 editable_journals: bool = True) -> None:
        super().__init__()
        self.key = key
        self.project = {"id": 1, "identifier": project, "name": "Billing", "trackers": [{"id": 1, "name": "Bug"}]}
        self.issues: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.journal_ids = itertools.count(100)
        routes = [
            ("GET", f"/projects/{project}.json", lambda r: Response(200, {"project": self.project})),
            ("GET", "/issue_statuses.json", lambda r: Response(200, {"issue_statuses": [
                {"id": 1, "name": "New"}, {"id": 2, "name": "In Progress"}, {"id": 3, "name": "Resolved"}]})),
            ("GET", "/enumerations/issue_priorities.json", lambda r: Response(200, {"issue_priorities": [
                {"id": 2, "name": "Normal"}, {"id": 3, "name": "High"}]})),
            ("GET", f"/projects/{project}/versions.json", lambda r: Response(200, {"versions": []})),
            ("GET", "/custom_fields.json", lambda r: Response(200, {"custom_fields": [
                {"id": 7, "name": "External Ticket ID", "customized_type": "issue"}]})),
            ("GET", "/users/current.json", lambda r: Response(200, {"user": {"id": 5, "login": "handoff"}})),
            ("GET", r"/issues/(?P<id>\d+)\.json", self.get_issue),
            ("PUT", r"/issues/(?P<id>\d+)\.json", self.update_issue),
        ]
        if editable_journals:
            routes.append(("PUT", r"/journals/(?P<id>\d+)\.json", self.update_journal))
        for method, pattern, handler in routes:
            self.route(method, pattern, handler)

    def authorized(self, request: Request) -> bool:
        return request.header("X-Redmine-API-Key") == self.key

    def now(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_issue(self, subject: str, description: str = "", author: str = "Rita Redminer") -> dict[str, Any]:
        issue_id = next(self.ids)
        self.issues[issue_id] = {
            "id": issue_id, "project": {"id": 1, "name": "Billing"}, "tracker": {"id": 1, "name": "Bug"},
            "status": {"id": 1, "name": "New"}, "priority": {"id": 2, "name": "Normal"},
            "author": {"id": 9, "name": author}, "subject": subject, "description": description,
            "custom_fields": [{"id": 7, "name": "External Ticket ID", "value": ""}],
            "created_on": self.now(), "updated_on": self.now(), "journals": [], "attachments": [],
        }
        return self.issues[issue_id]

    def note(self, issue_id: int, notes: str, user: str = "Rita Redminer") -> dict[str, Any]:
        journal = {"id": next(self.journal_ids), "user": {"id": 9, "name": user}, "notes": notes,
                   "created_on": self.now(), "private_notes": False, "details": []}
        self.issues[issue_id]["journals"].append(journal)
        return journal

    def get_issue(self, request: Request) -> Response:
        issue = self.issues.get(int(request.match["id"]))
        if issue is None:
            return Response(404)
        shown = dict(issue)
        if "journals" not in (request.arg("include") or ""):
            shown.pop("journals")
        return Response(200, {"issue": shown})

    def update_issue(self, request: Request) -> Response:
        issue = self.issues.get(int(request.match["id"]))
        if issue is None:
            return Response(404)
        data = (request.json() or {}).get("issue") or {}
        if "description" in data:
            issue["description"] = data["description"]
        for field in data.get("custom_fields") or []:
            for mine in issue["custom_fields"]:
                if mine["id"] == field["id"]:
                    mine["value"] = field["value"]
        if data.get("notes"):
            self.note(issue["id"], data["notes"], user="Handoff")
        issue["updated_on"] = self.now()
        return Response(204)

    def update_journal(self, request: Request) -> Response:
        wanted = int(request.match["id"])
        notes = ((request.json() or {}).get("journal") or {}).get("notes", "")
        for issue in self.issues.values():
            for journal in issue["journals"]:
                if journal["id"] == wanted:
                    journal["notes"] = notes
                    return Response(204)
        return Response(404)
