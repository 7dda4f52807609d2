"""The engineers' triage queue: my teams' defects by severity and impact, with bulk actions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from core import roles
from core.dates import age_strings, day_month_year
from core.decorators import role_required
from core.jinja2 import render_fragment
from core.models import Channel, SavedView
from core.paths import path_maker
from core.redirects import back_to
from core.sorting import Column, list_head
from core.views_saved import saved_views_bar
from defects.forms_triage import BulkActionForm, QueueFilterForm
from defects.models import Defect
from defects.selectors import (
    DEFECT_SORTS,
    ROW_NAMES,
    TRIAGE_ORDER,
    bulk_action_choices,
    defect_catalogues,
    first_linked_tickets,
    planned_release_list,
)
from defects.services.changes import defect_update
from defects.services.transitions import defect_transition
from defects.views import STATUS_LABELS
from sync.models import ExternalIssue

PAGE_SIZE = 50
# A queue row's own columns. Its product, component and team are named from the catalogues
# the filter form has read (no joins for them); the planned release's version is joined.
QUEUE_COLUMNS = (
    "id", "key", "title", "severity", "status", "customer_count", "ticket_count", "created_at", "product_id",
    "component_id", "team_id",
)
# Linked tickets a row names; the others are counted ("+N more", to the defect's page).
TICKETS_SHOWN = 3


# The queue's columns; those with a key sort it (defects.selectors.DEFECT_SORTS).
QUEUE_HEADERS = [
    Column("Select every defect on this page", select_all="defects"), Column("Defect", "key"),
    Column("Title", "title"), Column("Severity", "severity"), Column("Customers", "customers"),
    Column("Tickets", "tickets"), Column("Status", "status"), Column("Planned release"), Column("Age", "created"),
    Column("Linked tickets"),
]


def queue_queryset(sort: str = DEFECT_SORTS.default) -> QuerySet[Defect]:
    """Defects in the queue's order (by default worst first, then oldest), with a row's own columns."""
    return Defect.objects.only(*QUEUE_COLUMNS).order_by(*DEFECT_SORTS.order_by(sort))


def _when(moment) -> str:
    """core.dates' moment style ("17 Jul 2025, 15:24") without the date filter's per-call lookups."""
    return f"{day_month_year(moment)}, {moment.hour:02d}:{moment.minute:02d}"


def render_rows(rows: list[dict]) -> SafeString:
    """The rows' HTML (templates/jinja2/defects/queue_rows.html), in two queries whatever their number.

    Besides its columns a row shows its twins in external trackers and its first
    TICKETS_SHOWN linked tickets (oldest first); the others are counted from its
    ticket count and link to the defect's page, which lists them all.
    """
    ids = [row["id"] for row in rows]
    ticket_path, defect_path = path_maker("tickets:detail"), path_maker("defects:detail")
    tickets = {
        defect_id: [(ticket_path(ticket_id), number) for ticket_id, number in first]
        for defect_id, first in first_linked_tickets(ids, TICKETS_SHOWN).items()
    }
    twins: dict[int, list] = {}
    twin_rows = ExternalIssue.objects.filter(defect_id__any_of=ids).values_list("defect_id", "key", "url")
    for defect_id, key, url in twin_rows:
        twins.setdefault(defect_id, []).append((url, key))
    now, ages = timezone.now(), age_strings()
    for row in rows:
        created = timezone.localtime(row["created_at"])
        first_tickets = tickets.get(row["id"], ())
        row.update(
            url=defect_path(row["id"]), twins=twins.get(row["id"], ()), first_tickets=first_tickets,
            more_tickets=row["ticket_count"] - len(first_tickets),
            status_label=STATUS_LABELS.get(row["status"], row["status"]),
            created=_when(created), age=timesince(created, now, time_strings=ages),
        )
    return render_fragment("defects/queue_rows.html", {"rows": rows})


@role_required(roles.can_work_defects)
def defect_queue(request: HttpRequest) -> HttpResponse:
    """GET: the queue, filtered (default: my teams, open). Rows can be selected for bulk actions."""
    data = QueueFilterForm.data_for(request.GET)
    catalogues = defect_catalogues(user=request.user, components=True)
    form = QueueFilterForm(data, catalogues=catalogues)
    sort = DEFECT_SORTS.chosen(request.GET.get("sort"))
    # Counted and sliced as defects; only the page's rows are read as values, with their joins.
    page = Paginator(form.apply(queue_queryset(sort)), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = rows = list(
        page.object_list.values(*QUEUE_COLUMNS, planned_version=ROW_NAMES["planned_version"])
    )
    catalogues.name_rows(rows)
    # Ids of its own: the filter form above has a team field too.
    bulk = BulkActionForm(auto_id="bulk_%s", choices=bulk_action_choices())
    bulk.offer_teams(catalogues.teams)
    bulk.offer_releases(planned_release_list(product_ids={row["product_id"] for row in rows}))
    context = {
        "form": form, "page": page, "rows": render_rows(rows), "bulk": bulk,
        "head": list_head(DEFECT_SORTS, request.GET, QUEUE_HEADERS),
        "sort": "" if sort == DEFECT_SORTS.default else sort,
        "saved": saved_views_bar(request, SavedView.List.QUEUE),
    }
    return render(request, "defects/queue.html", context)


def _apply(defect: Defect, data: dict, actor) -> None:
    action = data["action"]
    if action == "assign_team":
        defect_update(defect=defect, actor=actor, channel=Channel.WEB, team=data["team"])
    elif action == "set_planned_release":
        defect_update(defect=defect, actor=actor, channel=Channel.WEB, planned_release=data["planned_release"])
    else:
        defect_transition(defect=defect, to=data["to"], reason=data["reason"], actor=actor, channel=Channel.WEB)


@require_POST
@role_required(roles.can_work_defects)
def defect_queue_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to each selected defect through the services; report each row that failed."""
    form = BulkActionForm(request.POST, choices=bulk_action_choices())
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return back_to(request, "defects:queue")
    done = 0
    for defect in form.cleaned_data["defects"].order_by(*TRIAGE_ORDER):
        try:
            _apply(defect, form.cleaned_data, request.user)
            done += 1
        except ValidationError as exc:
            messages.error(request, f"{defect.key}: {' '.join(exc.messages)}")
    if done:
        action = dict(BulkActionForm.ACTIONS)[form.cleaned_data["action"]].lower()
        messages.success(request, f"{action.capitalize()}: done for {done} defect{'s' if done != 1 else ''}.")
    return back_to(request, "defects:queue")
