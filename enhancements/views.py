"""Request pages: sending one from a ticket, the product-management queue, a request's page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from core import roles
from core.charts import chart_table
from core.decorators import role_required
from core.form_tokens import form_token_new, form_token_once
from core.history import history_lines
from core.jinja2 import render_fragment
from core.models import Channel
from core.paginator import uncounted_page
from core.paths import path_maker
from core.words import count_of
from defects.models import Defect
from enhancements.forms import (
    BulkForm,
    ConvertDefectForm,
    ConvertRequestForm,
    JoinRequestForm,
    QueueFilterForm,
    SendRequestForm,
    SendToTrackerForm,
    TransitionForm,
)
from enhancements.models import EnhancementRequest
from enhancements.selectors import (
    SHOWN_ASKS,
    converted_defect_id,
    demand_reasons,
    product_releases,
    queue_filters,
    request_attachments,
    request_comments,
    request_conversions,
    request_list_queryset,
    request_queue,
    request_rows_queryset,
    request_ticket_links,
    similar_requests,
)
from enhancements.services.comments import request_comment_add
from enhancements.services.conversion import defect_convert_to_request, request_convert_to_defect
from enhancements.services.report import top_requests, top_requests_csv
from enhancements.services.requests import (
    AlreadyRequested,
    open_request_of,
    request_create_from_ticket,
    request_link_ticket,
)
from enhancements.services.tracker import request_send_to_tracker
from enhancements.services.transitions import allowed_transitions, request_transition
from enhancements.services.triage import requests_bulk_change
from sync.models import Connection
from sync.selectors import request_sync_state
from tickets.forms import apply_service_errors
from tickets.selectors import ticket_list

QUEUE_PAGE = 25
# A request page lists its tickets this many at a time, and names this many customers (the weightiest).
LINKS_PAGE = 25
SHOWN_CUSTOMERS = 25


def _ticket(request: HttpRequest, pk: int):
    return get_object_or_404(ticket_list(user=request.user).select_related("customer", "product"), pk=pk)


@role_required(roles.can_work_tickets)
def request_send_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: similar open requests (each with "add this ticket to it") and the form; POST sends a new one."""
    ticket = _ticket(request, pk)
    existing = open_request_of(ticket)
    form = SendRequestForm(ticket, request.POST or None)
    if existing is None and request.method == "POST" and form.is_valid():
        try:
            created = request_create_from_ticket(
                ticket=ticket, actor=request.user, channel=Channel.WEB, **form.cleaned_data
            )
        except AlreadyRequested as exc:
            existing = exc.request
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Sent to product management as {created.key}.")
            return redirect("tickets:detail", pk=ticket.pk)
    context = {
        "ticket": ticket,
        "form": form,
        "existing": existing,
        "importances": JoinRequestForm.base_fields["importance"].choices,
        "similar": similar_requests(text=f"{ticket.subject} {ticket.description}", product=ticket.product_id),
    }
    status = 409 if existing is not None and request.method == "POST" else (400 if form.errors else 200)
    return render(request, "enhancements/send.html", context, status=status)


@require_POST
@role_required(roles.can_work_tickets)
def request_join_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the ticket to an existing open request instead of sending a new one."""
    ticket = _ticket(request, pk)
    form = JoinRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a request and how much it matters to this customer.")
        return redirect("enhancements:send", pk=ticket.pk)
    try:
        request_link_ticket(ticket=ticket, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
    except (AlreadyRequested, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("enhancements:send", pk=ticket.pk)
    messages.success(request, f"Added {ticket.number} to {form.cleaned_data['request'].key}.")
    return redirect("tickets:detail", pk=ticket.pk)


def queue_rows(rows: list) -> SafeString:
    """The queue's rows, from templates/jinja2/enhancements/queue_rows.html (a hot fragment: 50 rows
    with their customers; the Django engine took about a third of the page to draw them)."""
    return render_fragment("enhancements/queue_rows.html", {
        "rows": rows, "request_url": path_maker("enhancements:detail"),
    })


@role_required(roles.can_triage_requests)
def request_queue_page(request: HttpRequest) -> HttpResponse:
    """Requests ranked by demand, with why; filters; bulk status and target changes; merging."""
    filters = QueueFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    bulk = BulkForm(request.POST or None)
    if request.method == "POST":
        if bulk.is_valid():
            data = bulk.cleaned_data
            try:
                count = requests_bulk_change(
                    requests=list(data["requests"]), actor=request.user, channel=Channel.WEB, to=data["to"],
                    target_release=data["target_release"], reason=data["reason"], duplicate_of=data["duplicate_of"],
                )
            except ValidationError as exc:
                apply_service_errors(bulk, exc)
            else:
                messages.success(request, f"Changed {count_of(count, 'request')}.")
                return redirect(request.get_full_path())
    page = uncounted_page(request_queue(**{k: v for k, v in chosen.items() if v}), request.GET.get("page"), QUEUE_PAGE)
    rows = page.rows
    reasons = demand_reasons(rows, limit=SHOWN_ASKS)
    products, components = queue_filters()
    context = {
        "queue_rows": queue_rows([(row, reasons.get(row.pk)) for row in rows]),
        "page": page,
        "filters": filters,
        "chosen": chosen,
        "products": products,
        "components": components,
        "statuses": QueueFilterForm.base_fields["status"].choices,
        "bulk": bulk,
    }
    return render(request, "enhancements/queue.html", context, status=400 if bulk.errors else 200)


@role_required()
def request_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: its problem, the tickets and customers asking, the thread, and (for triage) its moves."""
    enh = get_object_or_404(request_rows_queryset(), pk=pk)
    converted_to = converted_defect_id(enh)
    if converted_to is not None:
        # A request converted into a defect: its key leads to the defect.
        return redirect("defects:detail", pk=converted_to, permanent=True)
    can_triage = roles.can_triage_requests(request.user)
    form = TransitionForm(request.POST or None) if can_triage else None
    if request.method == "POST":
        if not can_triage:
            raise PermissionDenied("Only product managers and managers change requests.")
        if form.is_valid():
            try:
                request_transition(request=enh, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{enh.key} moved to {enh.get_status_display()}.")
                return redirect("enhancements:detail", pk=enh.pk)
    releases = product_releases(enh.product_id) if can_triage else []
    context = {
        "enh": enh,
        "form": form,
        # (status, label) pairs: the page names the moves as people read them.
        "allowed": [(s, EnhancementRequest.Status(s).label) for s in allowed_transitions(enh)],
        # Releases it may be planned for (not shipped yet) or delivered in: for triage alone.
        "coming": [r for r in releases if r.released_at is None],
        "releases": releases,
        "links": Paginator(request_ticket_links(enh), LINKS_PAGE).get_page(request.GET.get("page")),
        "asks": demand_reasons([enh], limit=SHOWN_CUSTOMERS)[enh.pk],
        "comments": list(request_comments(enh)),
        "can_comment": roles.can_work_tickets(request.user) or can_triage,
        "comment_token": form_token_new(),
        # Product managers see a request's tickets listed, not the tickets' own pages.
        "can_open_tickets": roles.can_work_tickets(request.user),
        "history": history_lines(enh, limit=50),
        "conversions": request_conversions(enh),
        "attachments": request_attachments(enh),
        "convert_form": ConvertRequestForm() if can_triage and enh.is_open else None,
        **_tracker_context(request, enh, can_triage),
    }
    return render(request, "enhancements/detail.html", context, status=400 if form is not None and form.errors else 200)


def _tracker_context(request: HttpRequest, enh: EnhancementRequest, can_triage: bool) -> dict:
    """The request's twins, conflicts and waiting or failed changes; for triage, where it may still be sent."""
    sync = request_sync_state(request_id=enh.pk)
    sendable = sync.sendable if can_triage and enh.is_open and not sync.in_a_tracker else []
    return {
        "sync": sync,
        "can_retry_sync": roles.is_manager(request.user) or roles.is_engineer(request.user),
        "send_form": SendToTrackerForm(connections=Connection.objects.filter(pk__in=[c.pk for c in sendable]))
        if sendable else None,
        "sendable": sendable,
    }


@require_POST
@role_required(roles.can_triage_requests)
def request_send_to_tracker_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The request page's "Send to tracker" button, where routing did not send it to one."""
    enh = get_object_or_404(EnhancementRequest, pk=pk)
    form = SendToTrackerForm(request.POST, connections=Connection.objects.filter(enabled=True))
    if not form.is_valid():
        messages.error(request, "Choose the tracker to send the request to.")
        return redirect("enhancements:detail", pk=enh.pk)
    connection = form.cleaned_data["connection"]
    try:
        request_send_to_tracker(request=enh, connection=connection, actor=request.user, channel=Channel.WEB)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{enh.key} is being sent to {connection.name}.")
    return redirect("enhancements:detail", pk=enh.pk)


@require_POST
@role_required(roles.can_work_defects)
def request_from_defect_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The defect page's "convert to an enhancement request" button."""
    defect = get_object_or_404(Defect, pk=pk)
    form = ConvertDefectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the defect becomes an enhancement request.")
        return redirect("defects:detail", pk=defect.pk)
    try:
        created = defect_convert_to_request(defect=defect, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("defects:detail", pk=defect.pk)
    messages.success(request, f"{defect.key} is now the enhancement request {created.key}.")
    return redirect("enhancements:detail", pk=created.pk)


@require_POST
@role_required(roles.can_triage_requests)
def request_convert_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The request page's "convert to a defect" button."""
    enh = get_object_or_404(EnhancementRequest, pk=pk)
    form = ConvertRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the request becomes a defect, with its impact and urgency.")
        return redirect("enhancements:detail", pk=enh.pk)
    try:
        defect = request_convert_to_defect(request=enh, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("enhancements:detail", pk=enh.pk)
    messages.success(request, f"{enh.key} is now the defect {defect.key}.")
    return redirect("defects:detail", pk=defect.pk)


@require_POST
@role_required(lambda user: roles.can_work_tickets(user) or roles.can_triage_requests(user))
def request_comment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment once per form shown (its form_token); htmx gets the thread back, else a redirect."""
    enh = get_object_or_404(request_list_queryset(), pk=pk)
    body, token = request.POST.get("body", ""), request.POST.get("form_token", "")
    error = notice = ""
    try:
        comment, earlier = form_token_once(
            token, lambda: request_comment_add(request=enh, author=request.user, body=body, channel=Channel.WEB)
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        notice = "Comment added." if comment is not None else "This comment was already posted."
    if request.htmx:
        context = {
            "enh": enh, "comments": list(request_comments(enh)), "can_comment": True, "notice": notice,
            # A refused comment keeps its text and its token for the corrected post.
            "comment_token": token if error else form_token_new(), "comment_body": body if error else "",
            "comment_error": error,
        }
        return render(request, "enhancements/_thread.html", context)
    if error:
        messages.error(request, error)
        return redirect("enhancements:detail", pk=enh.pk)
    messages.success(request, notice)
    anchor = comment.pk if comment is not None else earlier
    return redirect(reverse("enhancements:detail", args=[enh.pk]) + (f"#comment-{anchor}" if anchor else "#thread"))


@role_required(roles.can_triage_requests)
def request_report_page(request: HttpRequest) -> HttpResponse:
    """Top requests of one product (`?product=`), with demand over time; `?format=csv` downloads it."""
    products, _ = queue_filters()
    wanted = request.GET.get("product", "")
    chosen = next((p for p in products if str(p.pk) == wanted), products[0] if products else None)
    if chosen is None:
        return render(request, "enhancements/report.html", {"products": products, "report": None})
    csv_wanted = request.GET.get("format") == "csv"
    # The CSV names every customer asking; the page the weightiest few of each request.
    report = top_requests(product=chosen, asks=None if csv_wanted else SHOWN_ASKS)
    if csv_wanted:
        response = HttpResponse(top_requests_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="top-requests-{chosen.code}.csv"'
        return response
    return render(request, "enhancements/report.html", {
        "products": products, "report": report, "demand_table": chart_table(report.chart["demand_over_time"]),
    })
