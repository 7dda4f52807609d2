"""Actions posted from the ticket page: a comment and the help desk's own status.

They answer as the defect page's actions do (defects.views_triage.handle_form):
a redirect back to the page, or the form again with its errors.
"""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import roles
from core.decorators import role_required
from core.models import Channel
from defects.forms_triage import CommentForm
from defects.services.comments import comment_add
from defects.views_triage import handle_form
from tickets.forms import TicketStatusForm
from tickets.selectors import visible_tickets
from tickets.services.tickets import ticket_set_status


@require_POST
@role_required()
def ticket_comment_page(request: HttpRequest, pk: int) -> HttpResponse:
    # Object level: engineers only reach escalated tickets (404 otherwise).
    ticket = get_object_or_404(visible_tickets(request.user), pk=pk)
    form = CommentForm(request.POST, on_ticket=True)

    def run(data: dict) -> None:
        comment_add(actor=request.user, channel=Channel.WEB, ticket=ticket, **data)

    return handle_form(
        request, form=form, run=run, back=reverse("tickets:detail", args=[pk]) + "#thread",
        title=f"Comment on {ticket.number}", submit="Add comment", form_id="comment-form", done="Comment added.",
    )


@require_POST
@role_required(roles.can_work_tickets)
def ticket_status_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The help desk's own status. Engineers cannot close tickets (403)."""
    ticket = get_object_or_404(visible_tickets(request.user), pk=pk)
    form = TicketStatusForm(request.POST)

    def run(data: dict) -> None:
        with transaction.atomic():
            ticket_set_status(ticket=ticket, actor=request.user, channel=Channel.WEB, **data)

    return handle_form(
        request, form=form, run=run, back=reverse("tickets:detail", args=[pk]), title=f"Status of {ticket.number}",
        submit="Update", form_id="ticket-status-form", done=f"{ticket.number} updated.",
    )
