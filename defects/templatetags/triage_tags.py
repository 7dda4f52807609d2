"""Triage panels dropped into the ticket and defect pages: forms, the shared thread, the help desk's banner.

Each tag reads what it needs for one object (a fixed number of queries), so the
pages that include them need no extra context.
"""

from django import template
from django.contrib.auth import get_user_model
from django.urls import reverse

from defects.forms_triage import CommentForm, DefectEditForm, TicketStatusForm, TransitionForm
from defects.models import Defect
from defects.services.comments import defect_thread, ticket_thread
from core import roles
from tickets.services.follow import release_note

register = template.Library()


@register.inclusion_tag("defects/_triage_panel.html", takes_context=True)
def defect_triage_panel(context, defect: Defect) -> dict:
    user = context["request"].user
    can_work = roles.can_work_defects(user)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "defect": defect,
        "can_work": can_work,
        "transition_form": TransitionForm(defect=defect) if can_work else None,
        "edit_form": DefectEditForm(defect=defect) if can_work else None,
    }


def thread_rows(comments, elsewhere: str) -> list:
    """The thread's comments with what defects/_thread.html shows of them.

    The author's name and, for a comment from the other side of the thread, the
    ticket's number or the defect's key (`elsewhere`): not the whole rows of the
    author, the ticket and the defect, descriptions included.
    """
    joined = elsewhere.split("__")[0]
    return list(
        comments.select_related(None).select_related("author", joined)
        .only(
            "defect_id", "ticket_id", "body", "visibility", "side", "created_at",
            f"author__{get_user_model().USERNAME_FIELD}", elsewhere,
        )
    )


def _thread_panel(context, *, comments, here, action: str, on_ticket: bool) -> dict:
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "comments": comments,
        "form": CommentForm(on_ticket=on_ticket),
        "action": action,
        "here": here,
        "on_ticket": on_ticket,
    }


@register.inclusion_tag("defects/_thread.html", takes_context=True)
def defect_thread_panel(context, defect: Defect) -> dict:
    comments = thread_rows(defect_thread(defect, context["request"].user), "ticket__number")
    return _thread_panel(
        context, comments=comments, here=defect, action=reverse("defects:comment", args=[defect.pk]), on_ticket=False
    )


@register.inclusion_tag("defects/_thread.html", takes_context=True)
def ticket_thread_panel(context, ticket) -> dict:
    comments = thread_rows(ticket_thread(ticket, context["request"].user), "defect__key")
    return _thread_panel(
        context, comments=comments, here=ticket, action=reverse("tickets:comment", args=[ticket.pk]), on_ticket=True
    )


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
    """The help desk's own status form, for agents and managers only."""
    request = context["request"]
    can = roles.can_work_tickets(request.user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "ticket": ticket,
        "status_form": TicketStatusForm(initial={"status": ticket.status}) if can else None,
    }
