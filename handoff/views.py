"""The dashboard at / and the notifications page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from handoff import roles
from handoff.dashboard import agent_board, engineer_board, manager_board
from handoff.decorators import role_required
from handoff.models import Notification
from handoff.notifications import notifications_mark_read

PAGE_SIZE = 50


@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """By role: agents see their escalated tickets, engineers their queue, managers open defects by team."""
    user = request.user
    unread = Notification.objects.filter(user=user, read_at__isnull=True).select_related("actor")
    context = {
        "agent_board": agent_board(user) if roles.is_agent(user) else None,
        "engineer_board": engineer_board(user) if roles.is_engineer(user) else None,
        "manager_rows": manager_board() if roles.is_manager(user) else None,
        "unread_count": unread.count(),
        "latest": list(unread[:5]),
    }
    return render(request, "handoff/dashboard.html", context)


@role_required()
def notification_list(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first, 50 a page."""
    qs = Notification.objects.filter(user=request.user).select_related("actor")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "handoff/notifications.html", {"page": page})


@require_POST
@role_required()
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of mine read (404 for anyone else's) and follow its link when asked to."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[note.pk])
    if request.POST.get("open") and note.url.startswith("/"):
        return redirect(note.url)
    return redirect("notifications")


@require_POST
@role_required()
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications")
