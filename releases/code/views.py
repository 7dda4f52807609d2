"""Code traceability pages: repositories and their health, and the Code panels of defects and releases.

Thin: roles are checked here, rules live in releases.code.services, reads in
releases.code.selectors.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core import roles
from core.decorators import role_required
from core.models import Channel
from defects.models import Defect
from releases.code.forms import RepositoryEditForm, RepositoryForm
from releases.code.models import Repository, Tag
from releases.code.permissions import can_scan
from releases.code.selectors import defect_builds, defect_commits, fix_first_releases, repository_activity
from releases.code.services.fixed_in import (
    defect_mark_fixed_from_code,
    release_tag_waiting,
)
from releases.code.services.repositories import repository_create, repository_update
from releases.code.tasks import scan_queue
from releases.models import Release
from sync.selectors import connection_list
from tickets.forms import apply_service_errors
from tickets.selectors import product_list


@role_required()
def repository_list(request: HttpRequest) -> HttpResponse:
    repositories = Repository.objects.select_related("product").order_by("product__name", "name")
    return render(request, "releases/code/repositories.html", {"repositories": repositories})


@role_required(roles.is_manager)
def repository_create_page(request: HttpRequest) -> HttpResponse:
    form = RepositoryForm(request.POST or None, products=product_list(), connections=connection_list())
    if request.method == "POST" and form.is_valid():
        try:
            repository = repository_create(actor=request.user, channel=Channel.WEB, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            scan_queue(repository=repository)
            messages.success(request, f"Registered {repository.name}; its first scan is under way.")
            return redirect("releases:repository", pk=repository.pk)
    return render(request, "releases/code/new.html", {"form": form}, status=400 if form.errors else 200)


@role_required(roles.is_manager)
def repository_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a repository's name, branch, tag pattern, web address or secrets; a new credential is probed first."""
    repository = get_object_or_404(Repository.objects.select_related("product"), pk=pk)
    form = RepositoryEditForm.for_repository(repository, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            repository_update(repository=repository, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the changes to {form.cleaned_data['name']}.")
            return redirect("releases:repository", pk=repository.pk)
    context = {"form": form, "repository": repository}
    return render(request, "releases/code/edit.html", context, status=400 if form.errors else 200)


@role_required()
def repository_detail(request: HttpRequest, pk: int) -> HttpResponse:
    repository = get_object_or_404(Repository.objects.select_related("product"), pk=pk)
    context = {
        "repository": repository,
        "can_scan": can_scan(request.user),
        "can_edit": roles.is_manager(request.user),
    }
    activity = repository_activity(repository)
    context.update(commits=activity.commits, tags=activity.tags, builds=activity.builds)
    return render(request, "releases/code/detail.html", context)


@require_POST
@role_required(can_scan)
def repository_scan_page(request: HttpRequest, pk: int) -> HttpResponse:
    repository = get_object_or_404(Repository, pk=pk)
    scan_queue(repository=repository, full=request.POST.get("full") == "1")
    messages.success(request, f"A scan of {repository.name} was started.")
    return redirect("releases:repository", pk=repository.pk)


@role_required()
def defect_code_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The defect page's Code panel (loaded by htmx): first releases, commits, builds."""
    defect = get_object_or_404(Defect.objects.only("pk", "key"), pk=pk)
    context = {
        "defect": defect,
        "firsts": fix_first_releases([defect.pk]).get(defect.pk, []),
        "commits": defect_commits(defect.pk),
        "builds": defect_builds(defect.pk),
    }
    return render(request, "releases/code/_defect_panel.html", context)


@role_required()
def release_code_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The release page's Code panel (loaded by htmx): its tags, and an offer to ship a tagged planned release."""
    release = get_object_or_404(Release.objects.select_related("product"), pk=pk)
    tags = list(Tag.objects.filter(repository__product_id=release.product_id, version_key=release.version_key)
                .select_related("repository"))
    context = {"release": release, "tags": tags, "waiting": release_tag_waiting(release)}
    return render(request, "releases/code/_release_panel.html", context)


@require_POST
@role_required(roles.is_manager)
def release_mark_fixed(request: HttpRequest, pk: int, defect_pk: int) -> HttpResponse:
    """From the ship preview: mark a defect whose fix the tag holds as fixed in the release."""
    release = get_object_or_404(Release, pk=pk)
    defect = get_object_or_404(Defect, pk=defect_pk)
    try:
        defect_mark_fixed_from_code(defect=defect, release=release, actor=request.user, channel=Channel.WEB)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{defect.key} is now marked fixed in {release.version}.")
    return redirect("releases:ship", pk=release.pk)
