"""The webhook endpoint shared by every tracker kind, and the sync health pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import roles
from core.decorators import role_required
from core.models import Channel
from sync.config import DEFAULT_REQUEST_TYPES, connection_config
from sync.connectors.base import WebhookRejected
from sync.selectors import connection_get, connection_health_list, connection_trouble, outbox_item_get
from sync.services.health import connection_health, connection_resume, outbox_retry
from sync.services.settings import webhook_max_bytes
from sync.services.webhooks import webhook_receive


def can_see_sync(user) -> bool:
    return roles.is_engineer(user) or roles.is_manager(user)


def _too_large() -> JsonResponse:
    return JsonResponse(
        {"detail": f"The payload is larger than {webhook_max_bytes()} bytes."}, status=413
    )


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, pk: int) -> JsonResponse:
    """Verify, store once per delivery id and body, answer at once; a task applies it."""
    connection = connection_get(pk=pk, enabled=True)
    # Judged from Content-Length before a byte of the body is read, so an
    # oversized delivery costs no memory; the read is checked again below.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = -1
    if declared < 0:
        return JsonResponse({"detail": "The Content-Length header is not a number of bytes."}, status=400)
    if declared > webhook_max_bytes():
        return _too_large()
    if len(request.body) > webhook_max_bytes():
        return _too_large()
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        event, created = webhook_receive(connection=connection, headers=headers, body=request.body)
    except WebhookRejected as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    return JsonResponse({"delivery": event.delivery_id, "duplicate": not created}, status=202 if created else 200)


@role_required(can_see_sync)
def connection_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sync/list.html", {"connections": connection_health_list()})


@role_required(can_see_sync)
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connection = connection_get(pk=pk)
    try:
        request_type = connection_config(connection).request_type
    except ValidationError:
        request_type = connection.request_type or DEFAULT_REQUEST_TYPES.get(connection.kind, "")
    return render(request, "sync/detail.html", {
        "connection": connection, "health": connection_health(connection), "request_type": request_type,
        **connection_trouble(connection=connection),
    })


@require_POST
@role_required(can_see_sync)
def connection_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = connection_get(pk=pk)
    connection_resume(connection=connection, actor=request.user, channel=Channel.WEB)
    messages.success(request, f"{connection.name} resumed; waiting changes are being pushed.")
    return redirect("sync:detail", pk=pk)


@require_POST
@role_required(can_see_sync)
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    item = outbox_item_get(pk=pk)
    outbox_retry(item=item, actor=request.user, channel=Channel.WEB)
    messages.success(request, f"Change #{item.pk} of {item.subject_key} will be pushed again.")
    return redirect("sync:detail", pk=item.connection_id)
