"""Saved views on the list pages: the bar of views above a list, saving the current one, deleting one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core import roles
from core.decorators import role_required
from core.forms import SavedViewForm
from core.models import Channel, SavedView
from core.redirects import back_to
from core.saved_views import (
    normalize_query,
    saved_view_delete,
    saved_view_list,
    saved_view_may_delete,
    saved_view_save,
    saved_view_url,
)


def saved_views_bar(request: HttpRequest, list_name: str, builtins: tuple[tuple[str, str], ...] = ()) -> dict:
    """What templates/core/_saved_views.html shows above a list: one query.

    `builtins` are (name, query) pairs every user of the list has, before the saved
    ones ("My tickets"). The view whose query is the page's own is marked current.
    """
    current = normalize_query(request.GET)
    views = [
        {"name": name, "url": saved_view_url(list_name=list_name, query=normalize_query(query)),
         "current": normalize_query(query) == current, "shared": False, "builtin": True}
        for name, query in builtins
    ]
    for view in saved_view_list(user=request.user, list_name=list_name):
        views.append({
            "id": view.pk, "name": view.name, "url": saved_view_url(list_name=list_name, query=view.query),
            "current": view.query == current, "shared": view.shared,
            "can_delete": saved_view_may_delete(view, request.user),
        })
    return {
        "list": list_name, "views": views, "query": current, "next": request.get_full_path(),
        "can_share": roles.is_manager(request.user),
    }


@require_POST
@role_required()
def saved_view_save_page(request: HttpRequest) -> HttpResponse:
    """Keep the list's current filters and sort under a name, then open that view."""
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return back_to(request, "home")
    data = form.cleaned_data
    try:
        view, created = saved_view_save(
            owner=request.user, list_name=data["list"], name=data["name"], query=data["query"],
            shared=data["shared"], channel=Channel.WEB,
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return back_to(request, "home")
    whose = "shared view" if view.shared else "view"
    messages.success(request, f"{'Saved' if created else 'Updated'} the {whose} “{view.name}”.")
    return redirect(saved_view_url(list_name=view.list, query=view.query))


@require_POST
@role_required()
def saved_view_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a view of mine (a shared one: managers). Another user's personal view is a 404."""
    view = get_object_or_404(SavedView.objects.filter(Q(shared=True) | Q(owner=request.user)), pk=pk)
    if not saved_view_may_delete(view, request.user):
        raise PermissionDenied("Only a manager deletes a shared view.")
    saved_view_delete(view=view, actor=request.user, channel=Channel.WEB)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return back_to(request, saved_view_url(list_name=view.list, query=""))
