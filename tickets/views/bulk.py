"""The ticket list's bulk actions: assign or move the selected tickets, each through the ticket services."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from core import roles
from core.decorators import role_required
from core.models import Channel
from core.redirects import back_to
from tickets.forms import TicketBulkForm
from tickets.selectors import assignable_users
from tickets.selectors import ticket_list as tickets_visible_to
from tickets.services.bulk import BulkOutcome, tickets_bulk_assign, tickets_bulk_set_status


def bulk_form(request: HttpRequest, data=None) -> TicketBulkForm:
    """The bulk form for the tickets `request.user` may change; its assignees read in one query."""
    tickets = tickets_visible_to(user=request.user).select_related("assignee")
    return TicketBulkForm(data, auto_id="bulk_%s", tickets=tickets, assignees=assignable_users())


def run_bulk(form: TicketBulkForm, *, actor, channel: str) -> BulkOutcome:
    """Apply a valid bulk form's action to its tickets (list order: newest first)."""
    data = form.cleaned_data
    tickets = data["tickets"].order_by("-created_at", "-id")
    if data["action"] == "status":
        return tickets_bulk_set_status(
            tickets=tickets, status=data["status"], reason=data["reason"], actor=actor, channel=channel
        )
    assignee = None
    if data["action"] == "assign":
        assignee = get_user_model().objects.get(pk=data["assignee"])
    return tickets_bulk_assign(tickets=tickets, assignee=assignee, actor=actor, channel=channel)


@require_POST
@role_required(roles.can_work_tickets)
def ticket_bulk_page(request: HttpRequest) -> HttpResponse:
    """Apply one action to each selected ticket; say how many changed and why each refused one was refused."""
    form = bulk_form(request, request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields and field != "tickets" else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return back_to(request, "tickets:list")
    outcome = run_bulk(form, actor=request.user, channel=Channel.WEB)
    for ticket, reasons in outcome.refused:
        why = " ".join(reasons)
        # The services' reasons usually name the ticket already.
        messages.error(request, why if why.startswith(ticket.number) else f"{ticket.number} was not changed: {why}")
    if outcome.done:
        count = len(outcome.done)
        messages.success(request, f"{count} ticket{'s' if count != 1 else ''} {_done_words(form)}.")
    return back_to(request, "tickets:list")


def _done_words(form: TicketBulkForm) -> str:
    """What happened to the changed tickets: "assigned to alice", "unassigned", "set to “Open”"."""
    data = form.cleaned_data
    if data["action"] == "assign":
        return f"assigned to {dict(form.fields['assignee'].choices).get(data['assignee'], '')}"
    if data["action"] == "unassign":
        return "unassigned"
    return f"set to “{dict(form.fields['status'].choices).get(data['status'], data['status'])}”"
