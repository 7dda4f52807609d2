"""The ticket list, the new-ticket page and the ticket page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from handoff import roles
from handoff.audit import audit_history
from handoff.decorators import role_required
from handoff.paginator import LargeTablePaginator
from handoff.models import Channel
from tickets.forms import TicketCreateForm, TicketFilterForm, apply_service_errors
from tickets.selectors import filter_tickets, visible_tickets
from tickets.services.tickets import ticket_create

PAGE_SIZE = 50
HISTORY_LENGTH = 15


@role_required()
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Tickets the user may see, filtered, 50 a page, with both statuses per row."""
    form = TicketFilterForm(request.GET or None)
    tickets = filter_tickets(visible_tickets(request.user), **form.filters())
    page = LargeTablePaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/list.html", {"form": form, "page": page})


@role_required(roles.can_work_tickets)
def ticket_create_page(request: HttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_create(actor=request.user, channel=Channel.WEB, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Created {ticket.number}.")
            return redirect("tickets:detail", pk=ticket.pk)
    status = 400 if form.errors else 200
    return render(request, "tickets/new.html", {"form": form}, status=status)


@role_required()
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket with its dual status. Engineers see escalated tickets only (404 otherwise)."""
    ticket = get_object_or_404(
        visible_tickets(request.user).prefetch_related(
            "attachments", "defect_links__defect__team", "defect_links__defect__attachments",
            "defect_links__defect__external_issues",
        ),
        pk=pk,
    )
    links = list(ticket.defect_links.all())
    open_defect = next((link.defect for link in links if link.defect.is_open), None)
    # The ticket's own files, then those sent to engineering with its defects.
    attachments = [(a, None) for a in ticket.attachments.all()] + [
        (a, link.defect) for link in links for a in link.defect.attachments.all()
    ]
    context = {
        "ticket": ticket,
        "links": links,
        "attachments": attachments,
        "defect": ticket.current_defect,
        "open_defect": open_defect,
        "can_escalate": roles.can_work_tickets(request.user) and ticket.is_open and open_defect is None,
        "history": list(audit_history(ticket)[:HISTORY_LENGTH]),
    }
    return render(request, "tickets/detail.html", context)
