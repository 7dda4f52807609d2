"""The ticket list, the new-ticket page and the ticket page."""

from html import escape

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from defects.models import Attachment, Defect, TicketDefectLink
from sync.models import ExternalIssue
from core import roles
from core.audit import audit_history
from core.decorators import role_required
from core.models import Channel
from core.paginator import LargeTablePaginator
from core.paths import path_maker
from tickets.forms import TicketCreateForm, TicketFilterForm, apply_service_errors
from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket
from tickets.selectors import ROW_FIELDS, current_defects, filter_tickets, ticket_rows, visible_tickets
from tickets.services.tickets import ticket_create

PAGE_SIZE = 50
HISTORY_LENGTH = 15
CUSTOMER_SUGGESTIONS = 20
SEARCH_COUNT_CAP = 1_000
@role_required()
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Tickets the user may see, filtered, 50 a page, with both statuses per row."""
    form = TicketFilterForm(request.GET or None)
    filters = form.filters()
    tickets = filter_tickets(ticket_rows(visible_tickets(request.user)), **filters)
    # Each match of a text search is read from the table to be checked: counted
    # exactly up to SEARCH_COUNT_CAP, "About N" beyond (the planner's estimate).
    count_cap = SEARCH_COUNT_CAP if filters["search"] else None
    page = LargeTablePaginator(tickets, PAGE_SIZE, count_cap=count_cap, row_fields=ROW_FIELDS).get_page(request.GET.get("page"))
    return render(request, "tickets/list.html", {"form": form, "page": page, "rows": list_rows(page.object_list)})


# A list row. Written here rather than in the template: the template engine costs about
# as much per {{ value }} as this costs per row. Every value is escaped with the standard
# library's html.escape (what django.utils.html.escape calls).
ROW_HTML = (
    "    <tr>\n"
    '      <td class="nowrap"><a href="{url}">{number}</a></td>\n'
    '      <td><a href="{url}">{subject}</a></td>\n'
    "      <td>{customer}</td>\n"
    "      <td>{product}</td>\n"
    '      <td><span class="badge hd-{status}">{status_label}</span></td>\n'
    '      <td class="nowrap">{defect}</td>\n'
    "    </tr>\n"
)
DEFECT_HTML = '<span class="badge eng-{status}">{status_label}</span>\n        <a href="{url}">{key}</a>'
NOT_ESCALATED = '<span class="muted">Not escalated</span>'


def list_rows(tickets: list[dict]) -> str:
    """The rows of the ticket list (ticket_rows() dicts): URLs reversed once, the defects read in one query."""
    e = escape
    defects = current_defects(ticket["pk"] for ticket in tickets)
    ticket_url, defect_url = path_maker("tickets:detail"), path_maker("defects:detail")
    status_labels, defect_labels = dict(Ticket.Status.choices), dict(Defect.Status.choices)
    html = []
    for ticket in tickets:
        status, defect = ticket["status"], defects.get(ticket["pk"])
        if defect:
            defect_id, key, defect_status = defect
            defect = DEFECT_HTML.format(
                status=e(defect_status), status_label=e(defect_labels.get(defect_status, defect_status)),
                url=e(defect_url(defect_id)), key=e(key),
            )
        html.append(ROW_HTML.format(
            url=e(ticket_url(ticket["pk"])), number=e(ticket["number"]), subject=e(ticket["subject"]),
            customer=e(ticket["customer__name"]), product=e(ticket["product__name"]),
            status=e(status), status_label=e(status_labels.get(status, status)), defect=defect or NOT_ESCALATED,
        ))
    return mark_safe("".join(html))


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


def fact_names() -> dict:
    """The names the ticket page's facts show, each read by primary key in a subquery.

    Joining the six small tables instead costs PostgreSQL about 3 ms of planning
    (every join order is weighed) for a row it finds in a tenth of that.
    """
    def name(model, field: str, column: str = "name"):
        return Subquery(model.objects.filter(pk=OuterRef(field)).values(column)[:1])

    return {
        "customer_name": name(Customer, "customer_id"),
        "contact_name": name(Contact, "contact_id"),
        "product_name": name(Product, "product_id"),
        "component_name": name(Component, "component_id"),
        "version_name": name(ProductVersion, "version_id"),
        "assignee_name": name(get_user_model(), "assignee_id", get_user_model().USERNAME_FIELD),
    }


@role_required()
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket with its dual status. Engineers see escalated tickets only (404 otherwise)."""
    ticket = get_object_or_404(
        visible_tickets(request.user).select_related(None).prefetch_related(None).annotate(**fact_names()), pk=pk
    )
    # The links, newest first, and their defects' twins in external trackers, read
    # directly: two queries, without the prefetch machinery's work per relation.
    links = list(
        TicketDefectLink.objects.filter(ticket=ticket)
        .select_related("defect", "defect__team", "defect__planned_release", "defect__fixed_in_release")
        .order_by("-linked_at", "-id")
    )
    setattr(ticket, Ticket.LINKS_ATTR, links)  # what ticket.current_defect reads
    twins: dict[int, list] = {}
    if links:
        issues = ExternalIssue.objects.filter(defect_id__in=[link.defect_id for link in links])
        for defect_id, key, url in issues.values_list("defect_id", "key", "url"):
            twins.setdefault(defect_id, []).append({"key": key, "url": url})
    open_defect = next((link.defect for link in links if link.defect.is_open), None)
    # The ticket's own files, then those sent to engineering with its defects: one query.
    defect_ids = [link.defect_id for link in links]
    files = list(
        Attachment.objects.filter(Q(ticket=ticket) | Q(defect_id__in=defect_ids))
        .only("ticket_id", "defect_id", "name", "size")
    )
    attachments = [(a, None) for a in files if a.ticket_id == ticket.pk] + [
        (a, link.defect) for link in links for a in files if a.defect_id == link.defect_id
    ]
    context = {
        "ticket": ticket,
        "links": [(link, twins.get(link.defect_id, ())) for link in links],
        "attachments": attachments,
        "defect": ticket.current_defect,
        "open_defect": open_defect,
        "can_escalate": roles.can_work_tickets(request.user) and ticket.is_open and open_defect is None,
        "history": list(audit_history(ticket)[:HISTORY_LENGTH]),
    }
    return render(request, "tickets/detail.html", context)
