"""The engineers' triage queue: my teams' defects by severity and impact, with bulk actions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from defects.forms_triage import BulkActionForm, QueueFilterForm
from defects.models import Defect, TicketDefectLink
from defects.services.changes import defect_update
from defects.services.transitions import defect_transition
from handoff import roles
from handoff.decorators import role_required
from handoff.models import Channel

PAGE_SIZE = 50
QUEUE_ORDER = ("severity", "-customer_count", "-ticket_count", "created_at", "id")
QUEUE_DEFERRED = (
    "description", "steps_to_reproduce", "expected_result", "actual_result",
    "environment", "severity_reason", "status_reason",
)


def queue_queryset() -> QuerySet[Defect]:
    """Defects with what a queue row shows, in a fixed number of queries: worst first, then oldest."""
    links = (
        TicketDefectLink.objects.select_related("ticket")
        .only("id", "defect_id", "ticket_id", "linked_at", "ticket__id", "ticket__number")
        .order_by("linked_at", "id")
    )
    # Only the relations a row shows (no fixed-in release) and none of the long texts.
    qs = (
        Defect.objects.select_related("product", "component", "team", "planned_release")
        .defer(*QUEUE_DEFERRED)
        .prefetch_related(Prefetch("ticket_links", queryset=links))
    )
    if hasattr(Defect, "external_issues"):
        # Twins in external trackers, once tracker sync has made them.
        qs = qs.prefetch_related("external_issues")
    return qs.order_by(*QUEUE_ORDER)


@role_required(roles.can_work_defects)
def defect_queue(request: HttpRequest) -> HttpResponse:
    """GET: the queue, filtered (default: my teams, open). Rows can be selected for bulk actions."""
    data = request.GET if request.GET else QueueFilterForm.defaults()
    form = QueueFilterForm(data)
    page = Paginator(form.apply(queue_queryset(), user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    bulk = BulkActionForm()
    return render(request, "defects/queue.html", {"form": form, "page": page, "bulk": bulk})


def _apply(defect: Defect, data: dict, actor) -> None:
    action = data["action"]
    if action == "assign_team":
        defect_update(defect=defect, actor=actor, channel=Channel.WEB, team=data["team"])
    elif action == "set_planned_release":
        defect_update(defect=defect, actor=actor, channel=Channel.WEB, planned_release=data["planned_release"])
    else:
        defect_transition(defect=defect, to=data["to"], reason=data["reason"], actor=actor, channel=Channel.WEB)


def _back(request: HttpRequest):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("defects:queue")


@require_POST
@role_required(roles.can_work_defects)
def defect_queue_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to each selected defect through the services; report each row that failed."""
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _back(request)
    done = 0
    for defect in form.cleaned_data["defects"].order_by(*QUEUE_ORDER):
        try:
            _apply(defect, form.cleaned_data, request.user)
            done += 1
        except ValidationError as exc:
            text = " ".join(" ".join(m) for m in exc.message_dict.values()) if hasattr(exc, "message_dict") else " ".join(exc.messages)
            messages.error(request, f"{defect.key}: {text}")
    if done:
        action = dict(BulkActionForm.ACTIONS)[form.cleaned_data["action"]].lower()
        messages.success(request, f"{action.capitalize()}: done for {done} defect{'s' if done != 1 else ''}.")
    return _back(request)
