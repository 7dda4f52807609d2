"""The contract every tracker connector fulfils, and the plain values it trades in.

Connectors speak in the tracker's own names (status "In Progress", priority
"Urgent", version "2.4.0"); the engine maps portal values to and from them with
the connection's typed config, so a connector never sees a portal model.

An issue is the twin of a defect or of an enhancement request (a change's
`subject`). A request's issue is created with the connection's request type
(a Jira issue type, a GitHub or GitLab label, a Redmine tracker) and its
status named by the request status map; everything else (footer, markers,
adoption) follows the same rules.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests

from core.installation import defect_signature, installation, signature_matches
from core.safe_urls import UnsafeRemote, external_link

if TYPE_CHECKING:
    from sync.config import ConnectionConfig

# Put in every comment and attachment the portal pushes, so a retried push can
# see that it already happened and a poll can tell our own comments apart. The
# marker names this installation ([handoff:<short installation id>:comment:12]):
# two installations syncing with one tracker never take each other's comments
# for their own. Markers written before they named the installation
# ([handoff:comment:12]) are still read as ours.
MARKER_PREFIX = "handoff:"
OWN_LEGACY_MARKER_RE = re.compile(rf"\[{MARKER_PREFIX}(?:comment|attachment):\d+\]")
# What a comment deleted in Handoff becomes in a tracker that cannot delete it.
DELETED_IN_HANDOFF = "(deleted in Handoff)"


def installation_tag() -> str:
    """The short id of this installation that its markers carry (as in its defect signature)."""
    return installation().id.hex[:8]


def comment_marker(comment_id: int) -> str:
    return f"[{MARKER_PREFIX}{installation_tag()}:comment:{comment_id}]"


def attachment_marker(attachment_id: int) -> str:
    return f"[{MARKER_PREFIX}{installation_tag()}:attachment:{attachment_id}]"


def legacy_comment_marker(comment_id: int) -> str:
    """The marker of a comment pushed before markers named the installation."""
    return f"[{MARKER_PREFIX}comment:{comment_id}]"


def legacy_attachment_marker(attachment_id: int) -> str:
    return f"[{MARKER_PREFIX}attachment:{attachment_id}]"


def carries_comment_marker(text: str | None, comment_id: int) -> bool:
    """Whether `text` is the push of portal comment `comment_id` (this installation's, old or new marker)."""
    text = text or ""
    return comment_marker(comment_id) in text or legacy_comment_marker(comment_id) in text


def carries_attachment_marker(text: str | None, attachment_id: int) -> bool:
    text = text or ""
    return attachment_marker(attachment_id) in text or legacy_attachment_marker(attachment_id) in text


def has_marker(text: str | None) -> bool:
    """Whether `text` was written by this installation: a marker naming it, or an old unnamed one.

    Another installation's markers do not count: its comments are tracker comments here.
    """
    text = text or ""
    own = f"[{MARKER_PREFIX}{installation_tag()}:"
    return own in text or bool(OWN_LEGACY_MARKER_RE.search(text))


# On an issue the portal creates: [handoff:<short installation id>:<signature>].
DEFECT_MARKER_RE = re.compile(rf"\[{MARKER_PREFIX}([0-9a-f]{{8}}:[0-9a-f]{{32}})\]")


# The line every issue Handoff creates ends with, in every tracker: "defect" or "request",
# the portal key and page, then this installation's signed marker. KEY_RE reads the key
# back; FOOTER_RE matches the whole footer where it closes a Markdown body after a `---` rule.
FOOTER = "Handoff {subject}: {key} {url} {marker}"
KEY_RE = re.compile(r"Handoff (?:defect|request): (\S+) ")
FOOTER_RE = re.compile(r"\n*---\nHandoff (?:defect|request): (\S+) \S+(?: \[handoff:[^\]\s]*\])?\s*$")


def defect_marker(defect_key: str) -> str:
    """The mark of this installation's issue for `defect_key`, which no one without its secret can write."""
    return f"[{MARKER_PREFIX}{defect_signature(defect_key)}]"


def carries_defect_marker(text: str | None, defect_key: str) -> bool:
    """Whether `text` holds this installation's valid marker for `defect_key`."""
    return any(signature_matches(defect_key, found) for found in DEFECT_MARKER_RE.findall(text or ""))


def remote_reason(text: object, limit: int = 200) -> str:
    """A tracker's error text fit to show: one line, no markup or control characters, short.

    Only for short reasons a tracker gives (Jira's errorMessages, GitHub's message);
    a response body itself is never shown, whatever it holds.
    """
    line = re.sub(r"<[^>]*>", " ", str(text or ""))  # markup is dropped, not shown escaped
    line = "".join(ch if ch.isprintable() and ch not in "<>" else " " for ch in line)
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ConnectorError(Exception):
    """A tracker call failed.

    permanent=True (401/403/404/410): retrying will not help; the engine pauses
    the connection and shows `message`. Otherwise (429/5xx/timeouts) the engine
    retries with backoff, no sooner than `retry_after` seconds when given.
    `answer_error` and `transport_error` below make them from a tracker's answer;
    `status` is the tracker's HTTP answer when there was one.
    """

    def __init__(
        self, message: str, permanent: bool = False, retry_after: float | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status

    @property
    def gone(self) -> bool:
        """The tracker answered 404: what the call named is not there (any more)."""
        return self.status == 404


class RejectedChange(ConnectorError):
    """The tracker refused this one change (e.g. 422): the row fails, the connection goes on."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False)


class UnreachableStatus(RejectedChange):
    """The tracker's workflow offers no way to `target`; the issue stopped at `reached`.
    The engine records it as a conflict on the defect, naming the status."""

    def __init__(self, message: str, *, target: str, reached: str):
        super().__init__(message)
        self.target = target
        self.reached = reached


# A tracker's answer, sorted once for every connector (STYLE 1): 429 and 5xx are
# retried (no sooner than the tracker asked), these pause the connection, and any
# other 4xx refuses only the change that caused it.
PERMANENT: Mapping[int, str] = {
    401: "the token is wrong", 403: "the token may not do this", 404: "not found", 410: "gone",
}


def is_retried(code: int) -> bool:
    """Whether an answer with this status is worth trying again later (rate limits, server trouble)."""
    return code == 429 or code >= 500


def answer_error(
    tracker: str,
    code: int,
    *,
    where: str,
    retry_after: float | None = None,
    detail: str | None = None,
    refused: str | None = None,
    reasons: Mapping[int, str] = PERMANENT,
) -> ConnectorError | None:
    """The error a tracker's answer `code` to `where` means, or None when it is not a failure.

    - 429 and 5xx: ConnectorError to retry, no sooner than `retry_after` seconds when known;
    - the codes in `reasons` (401/403/404/410): a permanent ConnectorError that pauses the
      connection, naming the reason, and the tracker's `detail` when given;
    - any other 4xx: RejectedChange(`refused`) when the caller read the tracker's refusal,
      None when it reads the answer further itself.
    """
    if is_retried(code):
        return ConnectorError(f"{tracker} answered {code} to {where}.", retry_after=retry_after, status=code)
    if code in reasons:
        said = "." if detail is None else f": {detail}"
        return ConnectorError(
            f"{tracker} answered {code} ({reasons[code]}) to {where}{said}", permanent=True, status=code
        )
    if code >= 400 and refused is not None:
        return RejectedChange(refused)
    return None


def transport_error(tracker: str, exc: Exception, *, where: str) -> ConnectorError:
    """The error a failed call (no answer at all) means: a timeout or a network failure is retried;
    an address the outbound guard refused pauses the connection."""
    if isinstance(exc, requests.Timeout):
        return ConnectorError(f"{tracker} did not answer {where} in time.")
    if isinstance(exc, UnsafeRemote):
        return ConnectorError(f"{tracker}: {exc}", permanent=True)
    return ConnectorError(f"{tracker} is unreachable ({type(exc).__name__}).")


class WebhookRejected(Exception):
    """A webhook delivery is unsigned, wrongly signed or unreadable (answered 401/400)."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TwinRef:
    external_id: str
    key: str
    url: str

    def __post_init__(self) -> None:
        # Every twin from a tracker (webhook, poll, lookup, push answer) passes here
        # before it is stored: a link that is not plain http(s) becomes "" (shown as text).
        object.__setattr__(self, "url", external_link(self.url))


@dataclass(frozen=True)
class TrackerComment:
    """A comment as the tracker has it now, by the tracker's own id.

    An edit keeps the id and changes the body; `deleted` is a deletion the
    tracker reported (a webhook), applied to the portal twin in place.
    """

    id: str
    body: str
    author: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class TrackerIssue:
    """An issue as the tracker has it now. `fields` holds tracker names:
    status, priority, version, title, description.

    `request_fields`: the same issue read as an enhancement request's twin,
    where the tracker's own state means another status for one (GitHub and
    GitLab: closed or reopened without our label); None when it reads the same.
    """

    twin: TwinRef
    updated_at: str
    portal_key: str = ""
    fields: Mapping[str, str | None] = field(default_factory=dict)
    comments: tuple[TrackerComment, ...] = ()
    request_fields: Mapping[str, str | None] | None = None

    def fields_for(self, subject: str) -> Mapping[str, str | None]:
        """The fields as the twin of a "defect" or of a "request" reads them."""
        if subject == "request" and self.request_fields is not None:
            return self.request_fields
        return self.fields


@dataclass(frozen=True)
class OutboundFile:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutboundChange:
    """One outbox row, translated into the tracker's terms.

    `fields` holds tracker names for the keys the change sets (title,
    description, priority, status, version); `comment` and `file` carry the
    body or bytes with their portal id in `source_id` for the marker.
    `defect_key` and `defect_url` name the portal record the issue twins: a
    defect (DEF-n) or, when `subject` is "request", an enhancement request (ENH-n).
    """

    kind: str
    defect_key: str
    defect_url: str
    twin: TwinRef | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    comment: str = ""
    file: OutboundFile | None = None
    source_id: int | None = None
    # The tracker's id of the comment a comment_edit or comment_delete changes.
    comment_ref: str = ""
    # 1 on the first try. A later try may follow one that reached the tracker
    # without our knowing, so only then must the connector look before posting.
    attempt: int = 1
    subject: str = "defect"

    @property
    def is_request(self) -> bool:
        return self.subject == "request"


def footer(change: OutboundChange) -> str:
    """The footer of the issue `change` is about: what it twins, its key and page, and our marker."""
    return FOOTER.format(
        subject=change.subject, key=change.defect_key, url=change.defect_url, marker=defect_marker(change.defect_key)
    )


@dataclass(frozen=True)
class PullResult:
    issues: tuple[TrackerIssue, ...]
    cursor: str


class Connector:
    """Base of every tracker connector.

    Subclasses set `kind` and implement push, pull and (for trackers with
    webhooks) parse_webhook. Every method raises ConnectorError on failure.
    """

    kind = ""
    supports_webhooks = False
    # True where editing a comment leaves the issue's update time as it was (Redmine's
    # notes): a poll, which asks for issues updated since its cursor, would never see the
    # edit, so each poll also reads a few twins again in turn (sync.services.pull.notes_sweep).
    edits_comments_silently = False
    # How long the tracker may send a delivery again (by itself or from its
    # "redeliver" button): a body seen within it is a replay, not a new event.
    redelivery_window = timedelta(days=3)

    def __init__(self, *, base_url: str, token: str, project: str, config: ConnectionConfig):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.project = project
        self.config = config

    def __repr__(self) -> str:
        # Never the token.
        return f"<{type(self).__name__} {self.base_url} project={self.project}>"

    def push(self, change: OutboundChange) -> TwinRef:
        """Apply one change to the tracker; return the twin (new or found on create).

        A "comment" change sets `posted_comment_id`; "comment_edit" replaces the
        body of the comment `comment_ref` in place, and "comment_delete" deletes it
        (or, where the tracker cannot, edits it to DELETED_IN_HANDOFF).

        Must be safe to repeat: create first looks for the issue an earlier try
        made, and adopts it only when it was made by the connection's own account
        and carries this installation's `defect_marker`: an issue anyone else
        made naming the key is never adopted. A comment or file carrying its
        marker is not posted again.
        """
        raise NotImplementedError

    # After a comment push: the tracker's id of the comment (posted, or found by its
    # marker on a repeated try), kept with the portal comment so an edit or a
    # deletion reaches the same comment. "" when the tracker did not say.
    posted_comment_id: str = ""

    def fetch(self, twin: TwinRef) -> TrackerIssue:
        """The issue as it is now, with its comments."""
        raise NotImplementedError

    def pull(self, cursor: str) -> PullResult:
        """Issues changed since `cursor` (empty: since the beginning), with the next cursor."""
        raise NotImplementedError

    def lookup(self, reference: str) -> TrackerIssue:
        """An existing issue named by key or URL, to link a defect to. RejectedChange when the
        reference is malformed or names an issue outside this connection's project."""
        raise RejectedChange(f"{self.kind} issues cannot be linked by key or URL.")

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, secret: str) -> str:
        """Check a delivery's signature; return its delivery id. Raises WebhookRejected (401)."""
        raise WebhookRejected(f"{self.kind} sends no webhooks; it is polled.", status=404)

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> tuple[TrackerIssue, ...]:
        """Read a verified delivery into the issues it touches. Raises WebhookRejected (400)."""
        raise WebhookRejected(f"{self.kind} sends no webhooks; it is polled.", status=404)

    @staticmethod
    def signature_matches(*, secret: str, body: bytes, signature: str, prefix: str = "sha256=") -> bool:
        """HMAC-SHA256 of the body with the shared secret, compared in constant time."""
        if not secret or not signature:
            return False
        expected = prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.strip().encode())
