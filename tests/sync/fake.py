"""An in-memory tracker behind the connector interface: the network edge of the engine tests.

It keeps issues the way a tracker would (fields by tracker name, comments
with ids) and can be told to fail the next calls, so the engine's ordering,
retries, pauses and idempotency are tested without a server.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from sync.connectors.base import (
    Connector,
    ConnectorError,
    OutboundChange,
    PullResult,
    TrackerComment,
    TrackerIssue,
    TwinRef,
    WebhookRejected,
    comment_marker,
)


@dataclass
class FakeIssue:
    id: int
    portal_key: str
    fields: dict
    comments: list[TrackerComment] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    updated: int = 0


class FakeTracker:
    def __init__(self):
        self.issues: dict[int, FakeIssue] = {}
        self.pushes: list[OutboundChange] = []
        self.failures: list[ConnectorError] = []
        self.clock = itertools.count(1)
        self.ids = itertools.count(1)

    def fail_next(self, *errors: ConnectorError) -> None:
        self.failures.extend(errors)

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def touch(self, issue: FakeIssue) -> None:
        issue.updated = next(self.clock)

    def edit(self, issue_id: int, **fields) -> None:
        """A person changes the issue in the tracker."""
        issue = self.issues[issue_id]
        issue.fields.update(fields)
        self.touch(issue)

    def comment(self, issue_id: int, body: str, author: str = "Rita Redminer") -> None:
        issue = self.issues[issue_id]
        issue.comments.append(TrackerComment(id=f"j{next(self.ids)}", body=body, author=author))
        self.touch(issue)

    def only_issue(self) -> FakeIssue:
        (issue,) = self.issues.values()
        return issue


TRACKER = FakeTracker()


class FakeConnector(Connector):
    kind = "fake"

    def _twin(self, issue: FakeIssue) -> TwinRef:
        return TwinRef(external_id=str(issue.id), key=f"FAKE-{issue.id}", url=f"https://tracker.example/{issue.id}")

    def push(self, change: OutboundChange) -> TwinRef:
        TRACKER._maybe_fail()
        TRACKER.pushes.append(change)
        if change.kind == "create":
            for issue in TRACKER.issues.values():
                if issue.portal_key == change.defect_key:
                    return self._twin(issue)
            issue = FakeIssue(id=next(TRACKER.ids), portal_key=change.defect_key, fields=dict(change.fields))
            TRACKER.issues[issue.id] = issue
            TRACKER.touch(issue)
            return self._twin(issue)
        issue = TRACKER.issues[int(change.twin.external_id)]
        if change.comment:
            marker = comment_marker(change.source_id)
            if not any(marker in c.body for c in issue.comments):
                issue.comments.append(
                    TrackerComment(id=f"j{next(TRACKER.ids)}", body=f"{change.comment}\n{marker}", author="portal")
                )
        elif change.file is not None:
            issue.files.append(change.file.name)
        else:
            issue.fields.update(change.fields)
        TRACKER.touch(issue)
        return self._twin(issue)

    def _issue(self, issue: FakeIssue) -> TrackerIssue:
        return TrackerIssue(
            twin=self._twin(issue), updated_at=f"{issue.updated:08d}", portal_key=issue.portal_key,
            fields=dict(issue.fields), comments=tuple(issue.comments),
        )

    supports_webhooks = True

    def verify_webhook(self, *, headers, body: bytes, secret: str) -> str:
        if not self.signature_matches(secret=secret, body=body, signature=headers.get("x-signature", "")):
            raise WebhookRejected("Bad or missing signature.")
        return headers.get("x-delivery", "")

    def parse_webhook(self, *, headers, body: bytes) -> tuple[TrackerIssue, ...]:
        try:
            issue_id = int(json.loads(body)["issue"])
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("Unreadable payload.", status=400) from None
        return (self._issue(TRACKER.issues[issue_id]),)

    def fetch(self, twin: TwinRef) -> TrackerIssue:
        TRACKER._maybe_fail()
        return self._issue(TRACKER.issues[int(twin.external_id)])

    def pull(self, cursor: str) -> PullResult:
        TRACKER._maybe_fail()
        changed = [i for i in TRACKER.issues.values() if f"{i.updated:08d}" >= (cursor or "")]
        newest = max([cursor or "", *(f"{i.updated:08d}" for i in changed)])
        return PullResult(issues=tuple(self._issue(i) for i in changed), cursor=newest)
