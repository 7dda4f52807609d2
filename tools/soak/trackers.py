"""The tracker side of the soak: what an engineer does in Jira, GitHub, GitLab and Redmine.

Edits go over HTTP to the tracker's REST API, as a user's client would (python-redmine for
Redmine). Jira, GitHub and GitLab are the local servers of tests/fakes, run in this process;
after each edit the delivery that tracker sends for it (built by the local server, as the
tracker documents it) is posted to the portal's webhook endpoint. Redmine has no webhooks:
its changes arrive by polls. Comments are deleted on the tracker side only in Jira and
GitHub: Redmine's API cannot delete a note and GitLab sends no hook for a deleted one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import requests

from tests.fakes.github_server import FakeGitHub
from tests.fakes.gitlab_server import FakeGitLab
from tests.fakes.jira_server import API as JIRA_API
from tests.fakes.jira_server import REVIEW_WORKFLOW, FakeJira

VERSIONS = ("2.4.0", "2.5.0", "2.6.0")
SECRET = "soak-webhook-secret"
# The portal statuses the soak moves pairs between, on both sides: open ones the portal's
# machine moves between in one step either way.
STATUSES = ("in_progress", "in_verification")

Deliver = Callable[[int, bytes, dict[str, str]], None]


class Tracker:
    """One tracker: its connection's settings, and edits made in it as a user."""

    kind = ""
    can_delete_comments = True
    local: Any = None  # the local server, for the ones that run in this process

    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver
        self.connection_id = 0
        self.http = requests.Session()
        self.port = 0

    def connection_fields(self) -> dict[str, Any]:
        raise NotImplementedError

    # Edits: `ext` is the twin's external id; names are in the tracker's terms.
    def set_status(self, ext: str, name: str) -> None: ...
    def set_title(self, ext: str, title: str) -> None: ...
    def set_priority(self, ext: str, name: str) -> None: ...
    def set_version(self, ext: str, name: str) -> None: ...
    def add_comment(self, ext: str, body: str) -> str: ...
    def edit_comment(self, ext: str, comment_id: str, body: str) -> None: ...
    def delete_comment(self, ext: str, comment_id: str) -> None: ...

    # An outage: the local servers stop listening and come back on the same port, state kept.
    def down(self) -> None:
        self.local.stop()

    def up(self) -> None:
        self.local.start(self.port)

    def _send(self, hook: tuple[bytes, dict[str, str]]) -> None:
        body, headers = hook
        self.deliver(self.connection_id, body, headers)

    def _ok(self, response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            raise RuntimeError(f"{self.kind}: {response.request.method} {response.url}: "
                               f"{response.status_code} {response.text[:200]}")
        return response


class Jira(Tracker):
    kind = "jira"

    def __init__(self, deliver: Deliver) -> None:
        super().__init__(deliver)
        self.local = FakeJira(versions=VERSIONS).start()
        # A workflow that moves one step at a time, so the connector walks paths of transitions.
        self.local.workflow = REVIEW_WORKFLOW
        self.port = self.local._server.server_address[1]
        self.http.auth = ("bot@example.com", "jira-api-token")

    def connection_fields(self) -> dict[str, Any]:
        return {"base_url": self.local.base_url, "token": "bot@example.com:jira-api-token", "project": "HD",
                "status_map": {"in_verification": "In Review"}, "webhook_secret": SECRET}

    def _url(self, path: str) -> str:
        return f"{self.local.base_url}{JIRA_API}{path}"

    def _issue_hook(self, ext: str) -> None:
        self._send(self.local.webhook("jira:issue_updated", ext, secret=SECRET))

    def set_status(self, ext: str, name: str) -> None:
        offered = self._ok(self.http.get(self._url(f"/issue/{ext}/transitions"))).json()["transitions"]
        step = next((t for t in offered if t["to"]["name"] == name), None)
        if step is None:  # not offered from here: take the first step a user would, toward open work
            step = next((t for t in offered if t["to"]["name"] in ("In Progress", "In Review")), None)
        if step is None:
            return
        self._ok(self.http.post(self._url(f"/issue/{ext}/transitions"), json={"transition": {"id": step["id"]}}))
        self._issue_hook(ext)

    def _edit(self, ext: str, fields: dict[str, Any]) -> None:
        self._ok(self.http.put(self._url(f"/issue/{ext}"), json={"fields": fields}))
        self._issue_hook(ext)

    def set_title(self, ext: str, title: str) -> None:
        self._edit(ext, {"summary": title})

    def set_priority(self, ext: str, name: str) -> None:
        self._edit(ext, {"priority": {"name": name}})

    def set_version(self, ext: str, name: str) -> None:
        self._edit(ext, {"fixVersions": [{"name": name}]})

    def add_comment(self, ext: str, body: str) -> str:
        comment = self._ok(self.http.post(self._url(f"/issue/{ext}/comment"), json={"body": body})).json()
        self._send(self.local.webhook("comment_created", ext, comment=comment, secret=SECRET))
        return comment["id"]

    def edit_comment(self, ext: str, comment_id: str, body: str) -> None:
        comment = self._ok(self.http.put(self._url(f"/issue/{ext}/comment/{comment_id}"), json={"body": body})).json()
        self._send(self.local.webhook("comment_updated", ext, comment=comment, secret=SECRET))

    def delete_comment(self, ext: str, comment_id: str) -> None:
        issue = self.local.issue(ext)
        comment = next(c for c in issue["comments"] if c["id"] == comment_id)
        self._ok(self.http.delete(self._url(f"/issue/{ext}/comment/{comment_id}")))
        self._send(self.local.webhook("comment_deleted", ext, comment=comment, secret=SECRET))


class GitHub(Tracker):
    kind = "github"

    def __init__(self, deliver: Deliver) -> None:
        super().__init__(deliver)
        self.local = FakeGitHub(limit=10**9).start()
        self.port = self.local._server.server_address[1]
        self.http.headers["Authorization"] = "Bearer ghp-test-token"

    def connection_fields(self) -> dict[str, Any]:
        return {"base_url": self.local.base_url, "token": "ghp-test-token", "project": self.local.repo,
                "webhook_secret": SECRET}

    def _issue(self, ext: str) -> dict[str, Any]:
        return self._ok(self.http.get(f"{self.local.api}/issues/{ext}")).json()

    def _patch(self, ext: str, data: dict[str, Any]) -> None:
        self._ok(self.http.patch(f"{self.local.api}/issues/{ext}", json=data))
        self._send(self.local.webhook("issues", int(ext), action="edited", secret=SECRET))

    def _relabel(self, ext: str, prefix: str, value: str) -> None:
        labels = [label["name"] for label in self._issue(ext)["labels"] if not label["name"].startswith(prefix)]
        self._patch(ext, {"labels": [*labels, f"{prefix}{value}"]})

    def set_status(self, ext: str, name: str) -> None:
        self._relabel(ext, "status: ", name)

    def set_title(self, ext: str, title: str) -> None:
        self._patch(ext, {"title": title})

    def set_priority(self, ext: str, name: str) -> None:
        self._relabel(ext, "severity: ", name)

    def set_version(self, ext: str, name: str) -> None:
        milestones = self._ok(self.http.get(f"{self.local.api}/milestones", params={"state": "all"})).json()
        number = next((m["number"] for m in milestones if m["title"] == name), None)
        if number is None:
            number = self._ok(self.http.post(f"{self.local.api}/milestones", json={"title": name})).json()["number"]
        self._patch(ext, {"milestone": number})

    def add_comment(self, ext: str, body: str) -> str:
        comment = self._ok(self.http.post(f"{self.local.api}/issues/{ext}/comments", json={"body": body})).json()
        self._send(self.local.webhook("issue_comment", int(ext), action="created", comment=comment, secret=SECRET))
        return str(comment["id"])

    def edit_comment(self, ext: str, comment_id: str, body: str) -> None:
        url = f"{self.local.api}/issues/comments/{comment_id}"
        comment = self._ok(self.http.patch(url, json={"body": body})).json()
        self._send(self.local.webhook("issue_comment", int(ext), action="edited", comment=comment, secret=SECRET))

    def delete_comment(self, ext: str, comment_id: str) -> None:
        comment = self._ok(self.http.get(f"{self.local.api}/issues/comments/{comment_id}")).json()
        self._ok(self.http.delete(f"{self.local.api}/issues/comments/{comment_id}"))
        self._send(self.local.webhook("issue_comment", int(ext), action="deleted", comment=comment, secret=SECRET))


class GitLab(Tracker):
    """GitLab sends no hook when a note is deleted (and a poll infers no deletion), so the
    soak edits notes there but deletes none."""

    kind = "gitlab"
    can_delete_comments = False

    def __init__(self, deliver: Deliver) -> None:
        super().__init__(deliver)
        self.local = FakeGitLab(limit=10**9).start()
        self.port = self.local._server.server_address[1]
        self.http.headers["PRIVATE-TOKEN"] = "glpat-test-token"

    def connection_fields(self) -> dict[str, Any]:
        return {"base_url": self.local.origin, "token": "glpat-test-token", "project": self.local.project,
                "webhook_secret": SECRET}

    @property
    def _api(self) -> str:
        return f"{self.local.origin}/api/v4/projects/{requests.utils.quote(self.local.project, safe='')}"

    def _put(self, ext: str, data: dict[str, Any]) -> None:
        self._ok(self.http.put(f"{self._api}/issues/{ext}", json=data))
        self._send(self.local.issue_hook(int(ext), secret=SECRET))

    def _relabel(self, ext: str, scope: str, value: str) -> None:
        labels = self._ok(self.http.get(f"{self._api}/issues/{ext}")).json()["labels"]
        old = [label for label in labels if label.startswith(scope)]
        self._put(ext, {"remove_labels": ",".join(old), "add_labels": f"{scope}{value}"})

    def set_status(self, ext: str, name: str) -> None:
        self._relabel(ext, "status::", name)

    def set_title(self, ext: str, title: str) -> None:
        self._put(ext, {"title": title})

    def set_priority(self, ext: str, name: str) -> None:
        self._relabel(ext, "severity::", name)

    def set_version(self, ext: str, name: str) -> None:
        milestones = self._ok(self.http.get(f"{self._api}/milestones", params={"title": name})).json()
        found = next((m["id"] for m in milestones if m["title"] == name), None)
        if found is None:
            found = self._ok(self.http.post(f"{self._api}/milestones", json={"title": name})).json()["id"]
        self._put(ext, {"milestone_id": found})

    def _note(self, ext: str, note_id: str) -> dict[str, Any]:
        return next(n for n in self.local.notes[int(ext)] if n["id"] == int(note_id))

    def add_comment(self, ext: str, body: str) -> str:
        note = self._ok(self.http.post(f"{self._api}/issues/{ext}/notes", json={"body": body})).json()
        self._send(self.local.note_hook(self._note(ext, note["id"]), secret=SECRET))
        return str(note["id"])

    def edit_comment(self, ext: str, comment_id: str, body: str) -> None:
        self._ok(self.http.put(f"{self._api}/issues/{ext}/notes/{comment_id}", json={"body": body}))
        self._send(self.local.note_hook(self._note(ext, comment_id), action="update", secret=SECRET))

    def delete_comment(self, ext: str, comment_id: str) -> None:
        note = dict(self._note(ext, comment_id))
        self._ok(self.http.delete(f"{self._api}/issues/{ext}/notes/{comment_id}"))
        self._send(self.local.note_hook(note, action="delete", secret=SECRET))


class Redmine(Tracker):
    """The real Redmine: edits through python-redmine; no webhooks, so polls bring its changes.

    Redmine's API cannot delete a note, so the soak edits notes there but deletes none.
    """

    kind = "redmine"
    can_delete_comments = False

    def __init__(self, deliver: Deliver, *, url: str, key: str) -> None:
        from redminelib import Redmine as Client

        super().__init__(deliver)
        self.url, self.key = url.rstrip("/"), key
        self.client = Client(self.url, key=key, requests={"timeout": 30})
        self.http.headers["X-Redmine-API-Key"] = key
        self.project = f"soak{uuid.uuid4().hex[:8]}"
        fields = self._ok(self.http.get(f"{self.url}/custom_fields.json")).json()["custom_fields"]
        trackers = self._ok(self.http.get(f"{self.url}/trackers.json")).json()["trackers"]
        self.client.project.create(
            name=self.project, identifier=self.project, is_public=True, tracker_ids=[t["id"] for t in trackers],
            enabled_module_names=["issue_tracking"],
            issue_custom_field_ids=[f["id"] for f in fields if f["customized_type"] == "issue"],
        )
        self.versions = {
            name: self.client.version.create(project_id=self.project, name=name).id for name in VERSIONS
        }
        self.statuses = {s.name: s.id for s in self.client.issue_status.all()}
        self.priorities = {p.name: p.id for p in self.client.enumeration.filter(resource="issue_priorities")}

    def connection_fields(self) -> dict[str, Any]:
        # "Resolved" means in verification only; fixed and released are "Closed" here.
        return {"base_url": self.url, "token": self.key, "project": self.project,
                "status_map": {"fixed": "Closed", "released": "Closed"}}

    def set_status(self, ext: str, name: str) -> None:
        self.client.issue.update(int(ext), status_id=self.statuses[name])

    def set_title(self, ext: str, title: str) -> None:
        self.client.issue.update(int(ext), subject=title)

    def set_priority(self, ext: str, name: str) -> None:
        self.client.issue.update(int(ext), priority_id=self.priorities[name])

    def set_version(self, ext: str, name: str) -> None:
        self.client.issue.update(int(ext), fixed_version_id=self.versions[name])

    def add_comment(self, ext: str, body: str) -> str:
        self.client.issue.update(int(ext), notes=body)
        journals = self._ok(self.http.get(f"{self.url}/issues/{ext}.json", params={"include": "journals"})).json()
        return str(next(j["id"] for j in reversed(journals["issue"]["journals"]) if j.get("notes") == body))

    def edit_comment(self, ext: str, comment_id: str, body: str) -> None:
        self._ok(self.http.put(f"{self.url}/journals/{comment_id}.json", json={"journal": {"notes": body}}))

    def down(self) -> None:
        raise NotImplementedError("the soak takes a local tracker down, not Redmine")

    up = down


def pick(rng: random.Random, values, *, other_than=None):
    choices = [v for v in values if v != other_than] or list(values)
    return rng.choice(choices)
