"""Comments on a request: one thread the help desk and product management share."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_record
from enhancements.models import EnhancementRequest, RequestComment
from enhancements.services.twins import request_twins_commented

MAX_BODY = 20_000


@transaction.atomic
def request_comment_add(*, request: EnhancementRequest, author, body: str, channel: str) -> RequestComment:
    """Add a comment to the request's thread, audited; it goes to the request's tracker twins."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"At most {MAX_BODY} characters."})
    comment = RequestComment.objects.create(request=request, author=author, body=body)
    audit_record(obj=request, actor=author, channel=channel, action="commented", new=body[:200])
    request_twins_commented(request=request, comment=comment, actor=author, channel=channel)
    return comment
