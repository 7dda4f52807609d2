"""A request's changes, queued for its tracker twins in the transaction of the change.

Called by this app's services where a request is created, edited, moved or
commented on; sync.outbox decides which connections hear of it (the product
team's, and any the request already has an issue in) and never sends a change
back to the tracker it came from (`channel`).
"""

from sync.models import OutboxItem
from sync.outbox import author_name, outbox_enqueue_request

Kind = OutboxItem.Kind

# Request fields its tracker issue shows, and which part of the issue each one is.
TEXT_FIELDS = {"title": "title", "problem": "description", "workaround": "description"}


def request_twins_created(*, request, channel: str) -> None:
    """A new request of a product team with a tracker connection is created there."""
    outbox_enqueue_request(request=request, kind=Kind.CREATE, channel=channel)


def request_twins_moved(*, request, channel: str) -> None:
    """The request's new status (`request.status`) goes to its twins."""
    outbox_enqueue_request(request=request, kind=Kind.STATUS, payload={"status": request.status}, channel=channel)


def request_twins_edited(*, request, changed: set[str], channel: str) -> None:
    """Title, problem or workaround changed: the issue's title or description follows.
    A new product team with a connection starts syncing there."""
    parts = {TEXT_FIELDS[name] for name in changed if name in TEXT_FIELDS}
    if parts:
        outbox_enqueue_request(
            request=request, kind=Kind.FIELDS, payload={part: True for part in sorted(parts)}, channel=channel
        )
    if "team" in changed:
        outbox_enqueue_request(request=request, kind=Kind.CREATE, channel=channel)


def request_twins_commented(*, request, comment, actor, channel: str) -> None:
    """A comment in the request's thread goes to its twins, signed with its author."""
    outbox_enqueue_request(
        request=request, kind=Kind.COMMENT, channel=channel,
        payload={"comment_id": comment.pk, "body": comment.body, "author": author_name(actor)},
    )
