"""The ticket list, the new-ticket page and the ticket page."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from core import roles
from core.dates import age, age_strings, day_month_year
from core.decorators import role_required
from core.history import history_lines
from core.jinja2 import render_fragment
from core.models import Channel, SavedView
from core.paginator import SEARCH_COUNT_CAP, LargeTablePaginator
from core.paths import path_maker
from core.sorting import Column, list_head
from core.views_saved import saved_views_bar
from defects.models import Defect
from portal.selectors import CONTACT_PORTAL_FACTS, contact_portal
from releases.code.selectors import fix_first_releases
from tickets.forms import NO_CONTACT, TicketCreateForm, TicketFilterForm, TicketStatusForm, apply_service_errors
from tickets.models import Customer, Ticket

# Aliased: this module's list view is called ticket_list too.
from tickets.selectors import (
    ROW_FIELDS,
    TICKET_SORTS,
    WAITING_STATUSES,
    current_links,
    customer_contacts,
    customer_lookup,
    customer_named,
    filter_tickets,
    product_choices,
    product_list,
    ticket_form_choices,
    ticket_page_get,
    waiting_limits,
)
from tickets.selectors import ticket_list as tickets_visible_to
from tickets.services.status import links_support, ticket_status_choices
from tickets.services.tickets import ticket_create
from tickets.views.bulk import bulk_form

PAGE_SIZE = 50
HISTORY_LENGTH = 15
CUSTOMER_SUGGESTIONS = 20
MINUTE = timedelta(minutes=1)
# The ticket list's columns; those with a key sort the list (tickets.selectors.TICKET_SORTS).
TICKET_COLUMNS = [
    Column("Ticket", "created"), Column("Subject", "subject"), Column("Customer"), Column("Product"),
    Column("Help-desk status", "status"), Column("Engineering status"), Column("Enhancement request"),
    Column("Last updated", "updated"),
]
SELECT_COLUMN = Column("Select every ticket on this page", select_all="tickets")
# Every agent's and manager's first view of the list.
MY_TICKETS = (("My tickets", "assignee=me"),)


@role_required()
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Tickets the user may see, filtered and sorted, 50 a page, with both statuses per row.

    Agents and managers also get their saved views' "My tickets" and the bulk actions
    (a checkbox per row; tickets/views/bulk.py applies them).
    """
    form = TicketFilterForm(
        request.GET or None, products=product_list(), product_choices=product_choices(),
        find_customers=customer_lookup, user=request.user,
    )
    filters = form.filters()
    sort = TICKET_SORTS.chosen(request.GET.get("sort"))
    tickets = filter_tickets(tickets_visible_to(user=request.user), **filters).order_by(*TICKET_SORTS.order_by(sort))
    # Each match of a text search is read from the table to be checked: counted
    # exactly up to SEARCH_COUNT_CAP, "About N" beyond (the planner's estimate).
    count_cap = SEARCH_COUNT_CAP if filters["search"] else None
    paginator = LargeTablePaginator(tickets, PAGE_SIZE, count_cap=count_cap, row_fields=ROW_FIELDS)
    page = paginator.get_page(request.GET.get("page"))
    can_bulk = roles.can_work_tickets(request.user)
    context = {
        "form": form, "page": page, "rows": list_rows(page.object_list, selectable=can_bulk),
        "head": list_head(TICKET_SORTS, request.GET, [SELECT_COLUMN, *TICKET_COLUMNS] if can_bulk else TICKET_COLUMNS),
        # Kept by the filter form, so filtering again keeps the order.
        "sort": "" if sort == TICKET_SORTS.default else sort,
        "saved": saved_views_bar(request, SavedView.List.TICKETS, builtins=MY_TICKETS if can_bulk else ()),
        "bulk": bulk_form(request) if can_bulk and page.object_list else None,
    }
    return render(request, "tickets/list.html", context)


def _span(limit: timedelta) -> str:
    """A waiting limit in words: "1 day", "3 days", "8 hours"."""
    hours = int(limit.total_seconds() // 3600)
    if hours % 24 == 0:
        return f"{hours // 24} day{pluralize(hours // 24)}"
    return f"{hours} hour{pluralize(hours)}"


def waiting_notes() -> dict[str, str]:
    """Tier -> the hover note of its waiting tickets: "Strategic customers expect an update within 1 day"."""
    labels = dict(Customer.Tier.choices)
    return {
        tier: f"{labels.get(tier, tier)} customers expect an update within {_span(limit)}"
        for tier, limit in waiting_limits().items()
    }


def list_rows(tickets: list[dict], *, selectable: bool = False) -> SafeString:
    """The rows of the ticket list (dicts of ROW_FIELDS), from templates/jinja2/tickets/list_rows.html.

    URLs are reversed once for the page; the rows' current defects and newest enhancement requests
    read together (current_links). Each row's values are looked up here, so the
    template only writes them: a call from a Jinja2 template costs several times a call here.
    A row's last update reads "2 days ago", or "Waiting 3 days" once an open ticket has waited
    longer than its customer's tier allows (tickets.selectors.waiting_limits).
    """
    ids = [ticket["pk"] for ticket in tickets]
    defects, requests = current_links(ids)
    ticket_url, defect_url = path_maker("tickets:detail"), path_maker("defects:detail")
    request_url = path_maker("enhancements:detail")
    status_labels = {value: str(label) for value, label in Ticket.Status.choices}
    defect_labels = {value: str(label) for value, label in Defect.Status.choices}
    now, ages, limits, notes = timezone.now(), age_strings(), waiting_limits(), waiting_notes()
    zone = timezone.get_current_timezone()
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
        updated, tier = ticket["updated_at"], ticket["customer__tier"]
        waited = now - updated
        limit = limits.get(tier)
        local = updated.astimezone(zone)
        # core.dates' moment ("4 Dec 2026, 19:26"), written without its per-call lookups: 50 a page.
        row["updated_iso"] = local.isoformat(timespec="seconds")
        row["updated_exact"] = f"{day_month_year(local)}, {local.hour:02d}:{local.minute:02d}"
        row["age"] = "just now" if waited < MINUTE else age(updated, now, ages)
        if status in WAITING_STATUSES and limit is not None and waited > limit:
            row["waiting"] = notes[tier]
        rows.append(row)
    return render_fragment("tickets/list_rows.html", {"rows": rows, "selectable": selectable})


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


@require_GET
@role_required(roles.can_work_tickets)
def contact_choices(request: HttpRequest) -> HttpResponse:
    """<option>s of the new-ticket form's contact: the contacts of the customer typed (a name or an id)."""
    contacts = customer_contacts(customer=customer_named(request.GET.get("customer")))
    return render(request, "tickets/_contact_options.html", {"contacts": contacts, "blank": NO_CONTACT})


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
    can_work = roles.can_work_tickets(request.user)
    # The contact and the customer portal (its "Invite to the portal" button): the help desk only.
    page = ticket_page_get(user=request.user, pk=pk, facts=CONTACT_PORTAL_FACTS if can_work else None)
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
        "request_link": page.request_links[0] if page.request_links else None,
        "can_send_request": can_work and ticket.is_open,
        "can_unlink": can_work,
        # The fix has shipped: the help desk's next step is to tell the customer and close.
        "next_step": (
            defect if defect and defect.status == Defect.Status.RELEASED and ticket.is_open and can_work else None
        ),
        "contact_portal": contact_portal(ticket) if can_work else None,
        "thread": page.thread,
        "history": history_lines(ticket, limit=HISTORY_LENGTH),
        # The help desk's own status: agents and managers only, offered from the links read above.
        "status_form": TicketStatusForm(initial={"status": ticket.status}, offered=ticket_status_choices(
            ticket, supported=links_support(
                defect_statuses=[link.defect.status for link, _ in page.links],
                request_open=any(link.request.is_open for link in page.request_links),
            ),
        )) if can_work else None,
    }
    return render(request, "tickets/detail.html", context)
