"""The notifications page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.models import Notification
from core.notifications import notifications_mark_read

PAGE_SIZE = 50


@role_required()
def notification_list(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first, 50 a page."""
    qs = Notification.objects.filter(user=request.user).select_related("actor")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


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
