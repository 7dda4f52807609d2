"""Changing many requests at once from the product-management queue."""

from django.core.exceptions import ValidationError
from django.db import transaction

from enhancements.models import EnhancementRequest
from enhancements.services.transitions import request_retarget, request_transition


@transaction.atomic
def requests_bulk_change(
    *, requests: list[EnhancementRequest], actor, channel: str, to: str = "", target_release=None,
    reason: str = "", duplicate_of=None,
) -> int:
    """Move each request to `to` (with what that move needs) and/or to a new target release.

    All or nothing: the first refusal raises ValidationError naming the request,
    and no request is changed. Returns how many requests were changed.
    """
    if not requests:
        raise ValidationError({"requests": "Choose at least one request."})
    if not to and target_release in (None, ""):
        raise ValidationError({"to": "Choose a status or a target release."})
    for request in requests:
        try:
            if to:
                request_transition(
                    request=request, to=to, actor=actor, channel=channel, reason=reason,
                    target_release=target_release if to == EnhancementRequest.Status.PLANNED else None,
                    release=target_release if to == EnhancementRequest.Status.DELIVERED else None,
                    duplicate_of=duplicate_of,
                )
            if target_release not in (None, "") and to in ("", EnhancementRequest.Status.IN_DEVELOPMENT):
                request_retarget(request=request, target_release=target_release, actor=actor, channel=channel)
        except ValidationError as exc:
            messages = [f"{request.key}: {m}" for m in exc.messages]
            raise ValidationError({"requests": messages}) from None
    return len(requests)
