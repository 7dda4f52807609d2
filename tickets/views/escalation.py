"""Escalating a ticket in the browser: similar defects (or a search) first, then the form.

Linking to one of them, unlinking, and reopening a released defect: tickets/views/links.py.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from core import roles
from core.decorators import role_required
from core.models import Channel
from defects.models import Defect
from defects.selectors import open_defects_to_link, similar_defects
from defects.severity import MATRIX, Impact, Severity, Urgency, compute_severity
from tickets.forms import EscalateForm, apply_service_errors
from tickets.models import Ticket
from tickets.selectors import product_parts, ticket_list
from tickets.services.escalation import AlreadyEscalated, open_defect_of, ticket_escalate
from tickets.views.links import escalate_again_page


def severity_matrix() -> list[tuple[str, list[str]]]:
    """Rows of the impact x urgency table shown beside the form."""
    return [(impact.label, [MATRIX[(impact, urgency)] for urgency in Urgency]) for impact in Impact]


def computed_severity(impact: str | None, urgency: str | None) -> dict:
    """Template context for the matrix severity, empty until both are known."""
    try:
        severity = compute_severity(impact or "", urgency or "")
    except ValueError:
        return {"computed": None, "computed_label": ""}
    return {"computed": severity, "computed_label": Severity(severity).label}


def _already_escalated(request: HttpRequest, ticket: Ticket, defect: Defect, *, status: int) -> HttpResponse:
    return render(
        request, "tickets/escalate.html", {"ticket": ticket, "existing": defect}, status=status
    )


def _form_page(request: HttpRequest, ticket: Ticket, form: EscalateForm, *, status: int) -> HttpResponse:
    # The similar open defects come by their own request (ticket_similar_defects_page),
    # which the page makes as soon as it is shown: the form is there at once.
    data = form.data if form.is_bound else form.initial
    context = {
        "ticket": ticket,
        "form": form,
        **computed_severity(data.get("impact"), data.get("urgency")),
        "matrix": severity_matrix(),
        "urgencies": Urgency.choices,
    }
    return render(request, "tickets/escalate.html", context, status=status)


def _ticket_to_escalate(request: HttpRequest, pk: int) -> Ticket:
    # The page shows the customer and product; open_defect_of reads the links itself.
    return get_object_or_404(ticket_list(user=request.user).select_related("customer", "product"), pk=pk)


@require_GET
@role_required(roles.can_work_tickets)
def ticket_similar_defects_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Open defects like the ticket, with a button to link to each: the escalate page's
    first section (htmx), or a page of its own without script."""
    ticket = _ticket_to_escalate(request, pk)
    query = request.GET.get("q", "").strip()[:200]
    context = {
        "ticket": ticket,
        "query": query,
        # A search by key or words finds any open defect of the product; else the suggestions.
        "similar": (
            open_defects_to_link(text=query, product_id=ticket.product_id) if query
            else similar_defects(text=f"{ticket.subject} {ticket.description}", product=ticket.product)
        ),
    }
    template = "tickets/_similar_defects.html" if request.htmx else "tickets/similar_defects.html"
    return render(request, template, context)


@role_required(roles.can_work_tickets)
def ticket_escalate_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows similar open defects and the form; POST creates the defect.

    A ticket already linked to an open defect gets a notice naming it instead
    of the form (409 when someone posts anyway).
    """
    ticket = _ticket_to_escalate(request, pk)
    existing = open_defect_of(ticket)
    if existing is not None:
        return _already_escalated(request, ticket, existing, status=409 if request.method == "POST" else 200)
    # A ticket whose fix has shipped: is it the same problem back, or a new one?
    question = escalate_again_page(request, ticket)
    if question is not None:
        return question
    form = EscalateForm(
        ticket, request.POST or None, request.FILES or None, parts=product_parts(product_id=ticket.product_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            defect = ticket_escalate(
                ticket=ticket, actor=request.user, channel=Channel.WEB, **form.service_kwargs()
            )
        except AlreadyEscalated as exc:
            return _already_escalated(request, ticket, exc.defect, status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            team = defect.team.name if defect.team_id else "the Unrouted queue"
            messages.success(request, f"Escalated to engineering as {defect.key} ({defect.severity}), sent to {team}.")
            return redirect("tickets:detail", pk=ticket.pk)
    return _form_page(request, ticket, form, status=400 if form.errors else 200)


@require_GET
@role_required(roles.can_work_tickets)
def severity_preview(request: HttpRequest) -> HttpResponse:
    """The computed severity for the chosen impact and urgency (an htmx fragment)."""
    context = computed_severity(request.GET.get("impact"), request.GET.get("urgency"))
    return render(request, "tickets/_computed_severity.html", context)
