"""Managers set up tracker connections in the portal: the same services, validation and audit as the API."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core import roles
from core.decorators import role_required
from core.models import Channel
from defects.models import Defect
from defects.severity import Severity
from enhancements.models import EnhancementRequest
from sync.config import DEFAULT_PRIORITY_MAPS, DEFAULT_REQUEST_STATUS_MAPS, DEFAULT_STATUS_MAPS, connection_config
from sync.forms import ConnectionForm, MapForm
from sync.models import Connection
from sync.services.connections import (
    connection_create,
    connection_delete,
    connection_probe,
    connection_update,
)

MAPS = {
    "status": ("status_map", "Statuses", Defect.Status.choices, DEFAULT_STATUS_MAPS),
    "priority": ("priority_map", "Severities", Severity.choices, DEFAULT_PRIORITY_MAPS),
    "request-status": (
        "request_status_map", "Request statuses", EnhancementRequest.Status.choices, DEFAULT_REQUEST_STATUS_MAPS,
    ),
}


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@role_required(roles.is_manager)
def connection_new(request: HttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = connection_create(actor=request.user, channel=Channel.WEB, **form.values())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{connection.name} added. Test it, then map its statuses and priorities.")
            return redirect("sync:detail", pk=connection.pk)
    return render(request, "sync/connection_form.html", {"form": form, "connection": None})


@role_required(roles.is_manager)
def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    initial = {name: getattr(connection, name) for name in ("name", "kind", "base_url", "project", "request_type")}
    form = ConnectionForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            connection_update(connection=connection, actor=request.user, channel=Channel.WEB, **form.values())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{connection.name} saved.")
            return redirect("sync:detail", pk=pk)
    return render(request, "sync/connection_form.html", {"form": form, "connection": connection})


@role_required(roles.is_manager)
def connection_map(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    """Map portal statuses (or severities) to the tracker's names; blank-free, validated by build_config."""
    connection = get_object_or_404(Connection, pk=pk)
    if which not in MAPS:
        return redirect("sync:detail", pk=pk)
    attr, title, choices, defaults = MAPS[which]
    try:
        current = dict(getattr(connection_config(connection), attr))
    except ValidationError:
        current = {**defaults.get(connection.kind, {}), **getattr(connection, attr)}
    form = MapForm(request.POST or None, keys=list(choices), current=current)
    if request.method == "POST" and form.is_valid():
        base = defaults.get(connection.kind, {})
        # Only what differs from the kind's defaults is stored, so improved defaults still reach it.
        mapped = {k: v.strip() for k, v in form.cleaned_data.items() if base.get(k) != v.strip()}
        try:
            connection_update(connection=connection, actor=request.user, channel=Channel.WEB, **{attr: mapped})
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{title} of {connection.name} saved.")
            return redirect("sync:detail", pk=pk)
    return render(request, "sync/connection_map.html", {"form": form, "connection": connection, "title": title})


@require_POST
@role_required(roles.is_manager)
def connection_switch(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause (switch off) or resume (switch on) a connection: the manager's switch, audited."""
    connection = get_object_or_404(Connection, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    connection_update(connection=connection, actor=request.user, channel=Channel.WEB, enabled=enabled)
    messages.success(request, f"{connection.name} {'resumed' if enabled else 'paused'}.")
    return redirect("sync:detail", pk=pk)


@role_required(roles.is_manager)
def connection_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first; delete only a connection no defect is linked through (see connection_delete)."""
    connection = get_object_or_404(Connection, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            connection_delete(connection=connection, actor=request.user, channel=Channel.WEB)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"{connection.name} deleted.")
            return redirect("sync:list")
    return render(request, "sync/connection_delete.html", {"connection": connection, "error": error})


@require_POST
@role_required(roles.is_manager)
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Call the tracker with the saved settings and show what it found, or why it failed."""
    connection = get_object_or_404(Connection, pk=pk)
    result = connection_probe(connection=connection)
    return render(request, "sync/connection_test.html", {"connection": connection, "result": result})
