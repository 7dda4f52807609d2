"""A ticket's links to defects in the browser: link (after a confirmation), unlink, and "the problem is back"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core import roles
from core.decorators import role_required
from core.ids import MAX_ID
from core.models import Channel
from defects.models import Defect, TicketDefectLink
from defects.selectors import defect_list
from tickets.forms import LinkDefectForm, ProblemBackForm, UnlinkDefectForm, apply_service_errors
from tickets.models import Ticket
from tickets.selectors import visible_tickets
from tickets.services.escalation import (
    AlreadyEscalated,
    released_defect_of,
    ticket_link_defect,
    ticket_link_preview,
    ticket_problem_back,
    ticket_unlink_defect,
    ticket_unlink_preview,
)


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(visible_tickets(request.user), pk=pk)


def _refused(request: HttpRequest, ticket: Ticket, exc: Exception) -> HttpResponse:
    messages.error(request, str(exc) if isinstance(exc, AlreadyEscalated) else " ".join(exc.messages))
    return redirect("tickets:escalate", pk=ticket.pk)


@role_required(roles.can_work_tickets)
def ticket_link_defect_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what linking the ticket to the chosen open defect would change, to confirm. POST: link it."""
    ticket = _ticket(request, pk)
    form = LinkDefectForm(request.POST if request.method == "POST" else request.GET, defects=defect_list())
    if not form.is_valid():
        messages.error(request, "Choose an existing defect to link to.")
        return redirect("tickets:escalate", pk=ticket.pk)
    defect = form.cleaned_data["defect"]
    if request.method != "POST":
        try:
            preview = ticket_link_preview(ticket=ticket, defect=defect)
        except (AlreadyEscalated, ValidationError) as exc:
            return _refused(request, ticket, exc)
        return render(request, "tickets/link_confirm.html", {"ticket": ticket, "preview": preview})
    try:
        ticket_link_defect(ticket=ticket, defect=defect, actor=request.user, channel=Channel.WEB)
    except (AlreadyEscalated, ValidationError) as exc:
        return _refused(request, ticket, exc)
    messages.success(request, f"Linked to {defect.key}; the ticket now waits on engineering.")
    return redirect("tickets:detail", pk=ticket.pk)


@role_required(roles.can_work_tickets)
def ticket_unlink_defect_page(request: HttpRequest, pk: int, defect_pk: int) -> HttpResponse:
    """GET: what unlinking would change, and the reason to give. POST: unlink, audited."""
    ticket = _ticket(request, pk)
    if defect_pk > MAX_ID:
        # Looked up through the link's foreign key, which Django does not range-check as it does a pk.
        raise Http404("No such link.")
    link = get_object_or_404(TicketDefectLink.objects.select_related("defect"), ticket=ticket, defect_id=defect_pk)
    defect: Defect = link.defect
    form = UnlinkDefectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_unlink_defect(
                ticket=ticket, defect=defect, actor=request.user, channel=Channel.WEB,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{ticket.number} is no longer linked to {defect.key}.")
            return redirect("tickets:detail", pk=ticket.pk)
    context = {"ticket": ticket, "preview": ticket_unlink_preview(ticket=ticket, defect=defect), "form": form}
    return render(request, "tickets/unlink_confirm.html", context, status=400 if form.errors else 200)


@role_required(roles.can_work_tickets)
def ticket_problem_back_page(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: the problem a released fix should have solved is back; its defect is reopened."""
    ticket = _ticket(request, pk)
    defect = released_defect_of(ticket)
    if defect is None:
        return redirect("tickets:escalate", pk=ticket.pk)
    form = ProblemBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_problem_back(ticket=ticket, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
        except AlreadyEscalated as exc:
            return _refused(request, ticket, exc)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{defect.key} is reopened; {ticket.number} waits on engineering again.")
            return redirect("tickets:detail", pk=ticket.pk)
    context = {"ticket": ticket, "released": defect, "form": form}
    return render(request, "tickets/escalate_again.html", context, status=400 if form.errors else 200)


def escalate_again_page(request: HttpRequest, ticket: Ticket) -> HttpResponse | None:
    """The question asked before escalating a ticket whose defect's fix has shipped, or None to go on.

    `?new=1` (the "a new problem" answer) goes on to the form.
    """
    if request.method != "GET" or request.GET.get("new"):
        return None
    defect = released_defect_of(ticket)
    if defect is None:
        return None
    context = {"ticket": ticket, "released": defect, "form": ProblemBackForm()}
    return render(request, "tickets/escalate_again.html", context)

