"""Actions posted from the ticket page: a comment and the help desk's own status.

They answer as the defect page's actions do (defects.views_triage.handle_form, and
handle_comment for a comment): a redirect back to the page, or the form again with
its errors; a comment posted with htmx gets the thread back with it.
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
from defects.selectors import ThreadWindow, ticket_thread_list
from defects.services.comments import comment_add
from defects.templatetags.triage_tags import thread_panel
from defects.views_triage import handle_comment, handle_form
from tickets.forms import TicketStatusForm
from tickets.selectors import visible_tickets
from tickets.services.status import ticket_status_choices
from tickets.services.tickets import ticket_set_status


@require_POST
@role_required()
def ticket_comment_page(request: HttpRequest, pk: int) -> HttpResponse:
    # Object level: engineers only reach escalated tickets (404 otherwise).
    ticket = get_object_or_404(visible_tickets(request.user), pk=pk)
    form = CommentForm(request.POST, on_ticket=True, to_customer=roles.can_work_tickets(request.user))

    def panel(form: CommentForm | None, notice: str) -> dict:
        thread = ThreadWindow(ticket_thread_list(ticket=ticket, user=request.user))
        return thread_panel(request, thread=thread, here=ticket, on_ticket=True, form=form, notice=notice)

    return handle_comment(
        request, form=form, back=reverse("tickets:detail", args=[pk]), title=f"Comment on {ticket.number}",
        add=lambda data: comment_add(actor=request.user, channel=Channel.WEB, ticket=ticket, **data), panel=panel,
    )


@require_POST
@role_required(roles.can_work_tickets)
def ticket_status_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The help desk's own status. Engineers cannot close tickets (403)."""
    ticket = get_object_or_404(visible_tickets(request.user), pk=pk)
    form = TicketStatusForm(request.POST, offered=ticket_status_choices(ticket))

    def run(data: dict) -> None:
        with transaction.atomic():
            ticket_set_status(ticket=ticket, actor=request.user, channel=Channel.WEB, **data)

    return handle_form(
        request, form=form, run=run, back=reverse("tickets:detail", args=[pk]), title=f"Status of {ticket.number}",
        submit="Update", form_id="ticket-status-form", done=f"{ticket.number} updated.",
    )
