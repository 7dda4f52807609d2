"""The ticket list, the new-ticket page and the ticket page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from core import roles
from core.audit import audit_history
from core.decorators import role_required
from core.jinja2 import render_fragment
from core.models import Channel
from core.paginator import LargeTablePaginator
from core.paths import path_maker
from defects.models import Defect
from releases.code.selectors import fix_first_releases
from tickets.forms import TicketCreateForm, TicketFilterForm, TicketStatusForm, apply_service_errors
from tickets.models import Customer, Ticket

# Aliased: this module's list view is called ticket_list too.
from tickets.selectors import (
    ROW_FIELDS,
    current_defects,
    current_requests,
    customer_lookup,
    filter_tickets,
    product_list,
    ticket_form_choices,
    ticket_page_get,
)
from tickets.selectors import ticket_list as tickets_visible_to
from tickets.services.tickets import ticket_create

PAGE_SIZE = 50
HISTORY_LENGTH = 15
CUSTOMER_SUGGESTIONS = 20
SEARCH_COUNT_CAP = 1_000
@role_required()
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Tickets the user may see, filtered, 50 a page, with both statuses per row."""
    form = TicketFilterForm(request.GET or None, products=product_list(), find_customers=customer_lookup)
    filters = form.filters()
    tickets = filter_tickets(tickets_visible_to(user=request.user), **filters)
    # Each match of a text search is read from the table to be checked: counted
    # exactly up to SEARCH_COUNT_CAP, "About N" beyond (the planner's estimate).
    count_cap = SEARCH_COUNT_CAP if filters["search"] else None
    paginator = LargeTablePaginator(tickets, PAGE_SIZE, count_cap=count_cap, row_fields=ROW_FIELDS)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "tickets/list.html", {"form": form, "page": page, "rows": list_rows(page.object_list)})


def list_rows(tickets: list[dict]) -> SafeString:
    """The rows of the ticket list (dicts of ROW_FIELDS), from templates/jinja2/tickets/list_rows.html.

    URLs are reversed once for the page; the rows' current defects read in one query, their
    newest enhancement requests in another. Each row's values are looked up here, so the
    template only writes them: a call from a Jinja2 template costs several times a call here.
    """
    ids = [ticket["pk"] for ticket in tickets]
    defects, requests = current_defects(ids), current_requests(ids)
    ticket_url, defect_url = path_maker("tickets:detail"), path_maker("defects:detail")
    request_url = path_maker("enhancements:detail")
    status_labels = {value: str(label) for value, label in Ticket.Status.choices}
    defect_labels = {value: str(label) for value, label in Defect.Status.choices}
    rows = []
    for ticket in tickets:
        pk, status = ticket["pk"], ticket["status"]
        row = {**ticket, "url": ticket_url(pk), "status_label": status_labels.get(status, status)}
        if (defect := defects.get(pk)) is not None:
            defect_id, key, defect_status = defect
            row["defect"] = {
                "key": key, "status": defect_status, "url": defect_url(defect_id),
                "label": defect_labels.get(defect_status, defect_status),
            }
        if (request := requests.get(pk)) is not None:
            row["request"] = {**request, "url": request_url(request["id"])}
        rows.append(row)
    return render_fragment("tickets/list_rows.html", {"rows": rows})


@require_GET
@role_required()
def customer_suggestions(request: HttpRequest) -> HttpResponse:
    """<option>s for the ticket list's customer filter: names containing what was typed."""
    term = request.GET.get("customer", "").strip()
    names = []
    if term:
        names = list(
            Customer.objects.filter(name__icontains=term)
            .order_by(Case(When(name__istartswith=term, then=0), default=1), "name")
            .values_list("name", flat=True)[:CUSTOMER_SUGGESTIONS]
        )
    return render(request, "tickets/_customer_suggestions.html", {"names": names})


@role_required(roles.can_work_tickets)
def ticket_create_page(request: HttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, choices=ticket_form_choices())
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
    page = ticket_page_get(user=request.user, pk=pk)
    ticket = page.ticket
    defect = ticket.current_defect
    # Read here, not in ticket_page_get: the code's first releases belong to releases, above tickets.
    first_releases = fix_first_releases([defect.pk]).get(defect.pk, []) if defect else []
    context = {
        "ticket": ticket,
        "links": page.links,
        "attachments": page.attachments,
        "defect": defect,
        "first_releases": first_releases,
        "open_defect": page.open_defect,
        "can_escalate": page.can_escalate,
        # The ticket's newest enhancement request, read through its reverse relation.
        "request_link": ticket.request_links.select_related(
            "request__target_release", "request__delivered_release", "request__duplicate_of"
        ).first(),
        "can_send_request": roles.can_work_tickets(request.user) and ticket.is_open,
        "thread": page.thread,
        "history": list(audit_history(ticket)[:HISTORY_LENGTH]),
        # The help desk's own status: agents and managers only.
        "status_form": (
            TicketStatusForm(initial={"status": ticket.status}) if roles.can_work_tickets(request.user) else None
        ),
    }
    return render(request, "tickets/detail.html", context)
