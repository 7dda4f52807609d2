"""Triage panels dropped into the ticket and defect pages: forms, the shared thread, the help desk's banner.

The tags read nothing: the views read the threads (defects.selectors) and build the
forms, and pass them in.
"""

from django import template
from django.urls import reverse

from core import roles
from defects.forms_triage import CommentForm
from defects.models import Defect
from defects.selectors import ThreadWindow
from defects.services.transitions import release_note

register = template.Library()


@register.inclusion_tag("defects/_triage_panel.html", takes_context=True)
def defect_triage_panel(context, defect: Defect, transition_form=None, edit_form=None) -> dict:
    """The triage forms the view built (none for a role that cannot work defects)."""
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "defect": defect,
        "can_work": transition_form is not None,
        "transition_form": transition_form,
        "edit_form": edit_form,
    }


def thread_panel(
    request, *, thread: ThreadWindow, here, on_ticket: bool, form: CommentForm | None = None, notice: str = ""
) -> dict:
    """The context of defects/_thread.html: a page of the thread, and the comment form (a new one unless
    `form` is given). A defect's thread comes a page at a time, with links to the earlier and later
    pages; a ticket's, all at once (one page).

    The pages draw it through the tags below; the comment views answer an htmx post
    with it again, with the new comment and `notice` (defects.views_triage.handle_comment).
    """
    if form is None:
        form = CommentForm(on_ticket=on_ticket, to_customer=on_ticket and roles.can_work_tickets(request.user))
    return {
        "request": request,
        "comments": thread.comments,
        "form": form,
        "action": reverse("tickets:comment" if on_ticket else "defects:comment", args=[here.pk]),
        "here": here,
        "on_ticket": on_ticket,
        "notice": notice,
        "thread_page": thread.page,
        "earlier": thread.earlier,
    }


@register.inclusion_tag("defects/_thread.html", takes_context=True)
def defect_thread_panel(context, defect: Defect, thread: ThreadWindow) -> dict:
    """`thread`: the page of the thread the view read (defects.selectors.defect_thread_list)."""
    panel = thread_panel(context["request"], thread=thread, here=defect, on_ticket=False)
    return {**panel, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("defects/_thread.html", takes_context=True)
def ticket_thread_panel(context, ticket, comments) -> dict:
    """`comments`: the thread the view read (defects.selectors.ticket_thread_list)."""
    panel = thread_panel(context["request"], thread=ThreadWindow(comments), here=ticket, on_ticket=True)
    return {**panel, "csrf_token": context.get("csrf_token")}


def engineering_feedback(defect: Defect | None) -> tuple[str, str] | None:
    """(css class, sentence) telling the help desk what engineering's latest move means for them."""
    if defect is None:
        return None
    reason = defect.status_reason
    if defect.status == Defect.Status.NEEDS_INFO:
        return "banner", f"Engineering needs information: {reason}" if reason else "Engineering needs information."
    if defect.status in (Defect.Status.WONT_FIX, Defect.Status.CANNOT_REPRODUCE):
        label = defect.get_status_display()
        return "banner", f"Engineering closed {defect.key} as {label.lower()}: {reason}" if reason else f"{label}."
    if defect.status == Defect.Status.RELEASED:
        return "banner done", f"{defect.key} {release_note(defect)}. Tell the customer."
    return None


@register.inclusion_tag("defects/_ticket_feedback.html")
def ticket_feedback(ticket, defect: Defect | None = None) -> dict:
    """The needs-information / outcome banner and the severity reason engineering gave."""
    defect = defect if defect is not None else ticket.current_defect
    return {"ticket": ticket, "defect": defect, "feedback": engineering_feedback(defect)}


@register.inclusion_tag("defects/_ticket_status.html", takes_context=True)
def ticket_status_panel(context, ticket) -> dict:
    """The help desk's own status form, which the ticket page's view builds for agents and managers only."""
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "ticket": ticket,
        "status_form": context.get("status_form"),
    }
