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
from core.form_tokens import form_token_once
from core.models import Channel
from defects.forms_triage import CommentForm, DefectEditForm, TransitionForm, apply_errors
from defects.models import Comment, Defect
from defects.selectors import defect_thread_list, product_release_list, team_list
from defects.services.changes import defect_update
from defects.services.comments import comment_add
from defects.services.transitions import defect_transition
from defects.templatetags.triage_tags import thread_panel


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


def handle_comment(
    request: HttpRequest, *, form: CommentForm, add: Callable[[dict], Comment], back: str, title: str,
    panel: Callable[[CommentForm | None, str], dict],
) -> HttpResponse:
    """Add the posted comment once per form shown (its form_token), and answer with the thread.

    With htmx: the thread panel again (`panel(form, notice)`: defects/_thread.html's context),
    holding the new comment, an empty form and a confirmation, or the form with its errors.
    Without script: a redirect to the comment with the confirmation as a message, or the
    form with its errors on a page of its own (400). A repeat of a form already posted adds
    nothing and answers as the first post did, pointing at the comment it added.
    """
    notice = ""
    if form.is_valid():
        data = dict(form.cleaned_data)
        token = data.pop("form_token", "")
        try:
            comment, earlier = form_token_once(token, lambda: add(data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if comment is not None:
                notice, anchor = "Comment added.", f"#comment-{comment.pk}"
            else:
                notice, anchor = "This comment was already posted.", f"#comment-{earlier}" if earlier else "#thread"
    if request.htmx:
        return render(request, "defects/_thread.html", panel(None if notice else form, notice))
    if notice:
        messages.success(request, notice)
        return redirect(back + anchor)
    context = {
        "form": form, "action": request.path, "title": title, "back": back + "#thread",
        "form_template": "defects/_comment_form.html",
    }
    return render(request, "defects/triage_form.html", context, status=400)


@require_POST
@role_required()
def defect_comment_page(request: HttpRequest, pk: int) -> HttpResponse:
    defect = _defect(pk)
    form = CommentForm(request.POST, on_ticket=False)

    def panel(form: CommentForm | None, notice: str) -> dict:
        thread = defect_thread_list(defect=defect, user=request.user)
        return thread_panel(request, thread=thread, here=defect, on_ticket=False, form=form, notice=notice)

    return handle_comment(
        request, form=form, back=reverse("defects:detail", args=[pk]), title=f"Comment on {defect.key}",
        add=lambda data: comment_add(actor=request.user, channel=Channel.WEB, defect=defect, **data), panel=panel,
    )
