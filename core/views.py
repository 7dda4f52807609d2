"""The notifications page: one entry per ticket, defect or request, filtered by what matters."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.jinja2 import render_fragment
from core.models import Notification
from core.notifications import (
    FILTERS,
    GROUPED_WINDOW,
    notification_filter,
    notification_group_rows,
    notification_groups_of,
    notifications_mark_read,
)
from core.paginator import OneReadPaginator
from core.paths import path_maker

PAGE_SIZE = 50


@role_required()
def notification_list(request: HttpRequest) -> HttpResponse:
    """My notifications grouped by what they are about, newest first, 50 entries a page;
    `?show=mine|needs_info|released|unread` narrows them. Three queries whatever the numbers:
    the page's groups are counted as they are read (core.paginator.OneReadPaginator), since
    counting them apart would group the user's newest GROUPED_WINDOW messages a second time."""
    show = request.GET.get("show", "")
    show = show if show in FILTERS else ""
    page = OneReadPaginator(notification_group_rows(notification_filter(request.user, show)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    groups = notification_groups_of(page.object_list)
    filters = [("", "All", "")] + [(name, label, urlencode({"show": name})) for name, (label, _) in FILTERS.items()]
    rows = render_fragment("core/notification_rows.html", {
        "groups": groups, "kinds": {value: str(label) for value, label in Notification.Kind.choices},
        "read_url": path_maker("notifications-read-one"), "csrf_token": get_token(request),
    })
    return render(request, "core/notifications.html", {
        "page": page, "groups": groups, "rows": rows, "show": show, "filters": filters,
        "window": f"{GROUPED_WINDOW:,}",
    })


@require_POST
@role_required()
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of mine read with every other about the same thing (404 for anyone else's),
    and follow its link when asked to."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, subjects=[note.subject])
    if request.POST.get("open") and note.url.startswith("/"):
        return redirect(note.url)
    return redirect("notifications")


@require_POST
@role_required()
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications")
