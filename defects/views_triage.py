"""Triage actions posted from the defect page.

Each view is thin: it checks the role and the object, hands the input to a
service, and then either redirects back to the page or shows the form again
with the errors beside its fields (in place with htmx, or on a page of its own).
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from core import roles
from core.decorators import role_required
from core.models import Channel
from defects.forms_triage import CommentForm, DefectEditForm, TransitionForm, apply_errors
from defects.models import Defect
from defects.selectors import product_release_list, team_list
from defects.services.changes import defect_update
from defects.services.comments import comment_add
from defects.services.transitions import defect_transition


def handle_form(
    request: HttpRequest, *, form: forms.Form, run: Callable[[dict], object], back: str, title: str,
    submit: str, form_id: str, done: str,
) -> HttpResponse:
    """Validate, run the service, and answer: redirect on success, the form with errors otherwise.

    The ticket page's actions (tickets/views/actions.py) answer the same way.
    """
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    context = {"form": form, "action": request.path, "form_id": form_id, "submit": submit, "title": title, "back": back}
    if request.htmx:
        return render(request, "defects/_form.html", context)
    return render(request, "defects/triage_form.html", context, status=400)


def _defect(pk: int) -> Defect:
    return get_object_or_404(Defect.objects.select_related("product", "team"), pk=pk)


@require_POST
@role_required(roles.can_work_defects)
def defect_transition_page(request: HttpRequest, pk: int) -> HttpResponse:
    defect = _defect(pk)
    form = TransitionForm(request.POST, defect=defect)

    def run(data: dict) -> None:
        defect_transition(
            defect=defect, to=data["to"], reason=data["reason"], duplicate_of=data["duplicate_of"],
            actor=request.user, channel=Channel.WEB,
        )

    return handle_form(
        request, form=form, run=run, back=reverse("defects:detail", args=[pk]), title=f"Move {defect.key}",
        submit="Move", form_id="transition-form", done=f"{defect.key} moved.",
    )


@require_POST
@role_required(roles.can_work_defects)
def defect_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    defect = _defect(pk)
    form = DefectEditForm(
        request.POST, defect=defect, releases=product_release_list(product_id=defect.product_id), teams=team_list()
    )

    def run(data: dict) -> None:
        defect_update(defect=defect, actor=request.user, channel=Channel.WEB, **form.changes())

    return handle_form(
        request, form=form, run=run, back=reverse("defects:detail", args=[pk]), title=f"Change {defect.key}",
        submit="Save", form_id="edit-form", done=f"{defect.key} saved.",
    )


@require_POST
@role_required()
def defect_comment_page(request: HttpRequest, pk: int) -> HttpResponse:
    defect = _defect(pk)
    form = CommentForm(request.POST, on_ticket=False)

    def run(data: dict) -> None:
        comment_add(actor=request.user, channel=Channel.WEB, defect=defect, **data)

    return handle_form(
        request, form=form, run=run, back=reverse("defects:detail", args=[pk]) + "#thread",
        title=f"Comment on {defect.key}", submit="Add comment", form_id="comment-form", done="Comment added.",
    )
