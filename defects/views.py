"""Defect pages and attachment downloads."""

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core import roles
from core.decorators import role_required
from core.models import SavedView
from core.paginator import SEARCH_COUNT_CAP, BoundedCountPaginator
from core.paths import path_maker
from core.sorting import Column, list_head
from core.views_saved import saved_views_bar
from defects.attachments import download_response
from defects.forms import DefectFilterForm
from defects.forms_triage import DefectEditForm, TransitionForm
from defects.models import Attachment, Defect
from defects.selectors import (
    DEFECT_SORTS,
    ROW_NAMES,
    converted_request_id,
    defect_catalogues,
    defect_page_get,
    defect_thread_list,
    product_release_list,
    team_list,
    ticket_link_rows,
    tracker_connection_active,
)
from tickets.models import Ticket
from tickets.selectors import visible_tickets

User = get_user_model()
PAGE_SIZE = 50
# The defect page's linked tickets, a page at a time.
LINKS_PAGE = 25
# What a list row shows of the defect itself; its product and team are named from the
# filter form's catalogues (Catalogues.name_rows), its component and planned release joined.
LIST_COLUMNS = ("id", "key", "title", "severity", "status", "customer_count", "ticket_count", "product_id", "team_id")
LIST_NAMES = {name: ROW_NAMES[name] for name in ("component_name", "planned_version")}
STATUS_LABELS = dict(Defect.Status.choices)


# The defect list's columns; those with a key sort it (defects.selectors.DEFECT_SORTS).
LIST_HEADERS = [
    Column("Defect", "key"), Column("Title", "title"), Column("Product"), Column("Severity", "severity"),
    Column("Status", "status"), Column("Team"), Column("Customers", "customers"), Column("Tickets", "tickets"),
    Column("Planned"),
]


@role_required()
def defect_list(request: HttpRequest) -> HttpResponse:
    """Every role sees defects, searched, filtered and sorted; most severe and widest impact first by default."""
    catalogues = defect_catalogues()
    form = DefectFilterForm(request.GET or None, catalogues=catalogues)
    sort = DEFECT_SORTS.chosen(request.GET.get("sort"))
    defects = form.apply(Defect.objects.order_by(*DEFECT_SORTS.order_by(sort)))
    # Counted (exactly up to a cap, estimated beyond; a lower cap for a text search) and
    # sliced as defects; only the page's rows are read, as values with their joins.
    count_cap = SEARCH_COUNT_CAP if form.searched() else None
    page = BoundedCountPaginator(defects, PAGE_SIZE, count_cap=count_cap).get_page(request.GET.get("page"))
    page.object_list = rows = list(page.object_list.values(*LIST_COLUMNS, **LIST_NAMES))
    catalogues.name_rows(rows)
    defect_path = path_maker("defects:detail")
    for row in rows:
        row["url"] = defect_path(row["id"])
        row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    context = {
        "form": form, "page": page, "head": list_head(DEFECT_SORTS, request.GET, LIST_HEADERS),
        "sort": "" if sort == DEFECT_SORTS.default else sort,
        "saved": saved_views_bar(request, SavedView.List.DEFECTS),
    }
    return render(request, "defects/list.html", context)


TICKET_STATUS_LABELS = dict(Ticket.Status.choices)


def linked_ticket_rows(rows, *, user) -> list[dict]:
    """A page of the defect's linked tickets (defects.selectors.ticket_link_rows) with their URLs from one reverse.

    No URL for a user who may not open them (product managers read the list, not the tickets).
    """
    rows = list(rows)
    ticket_path = path_maker("tickets:detail")
    may_open = roles.can_work_tickets(user) or roles.is_engineer(user)
    for row in rows:
        row["url"] = ticket_path(row["ticket_id"]) if may_open else ""
        row["status_label"] = TICKET_STATUS_LABELS.get(row["status"], row["status"])
    return rows


# How much a converted defect's request matters to its customers (the "convert" form's choices;
# the enhancements app validates them).
CONVERT_IMPORTANCES = [
    ("blocks_deal", "Blocks a purchase or renewal"), ("important", "Important"), ("nice_to_have", "Nice to have"),
]


def _number(text: str | None) -> int:
    """A page number from the query string: 1 unless a whole number is given (0 reads as 1 too)."""
    return max(int(text), 1) if text and text.isascii() and text.isdigit() and len(text) < 7 else 1


def _linked_tickets_page(request: HttpRequest, defect: Defect) -> Page:
    """A page of the defect's linked tickets, oldest first: a defect many customers hit has thousands."""
    page = Paginator(ticket_link_rows(defect_id=defect.pk), LINKS_PAGE).get_page(request.GET.get("page"))
    page.object_list = linked_ticket_rows(page.object_list, user=request.user)
    return page


@role_required()
def defect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    defect = defect_page_get(pk=pk)
    converted_to = converted_request_id(defect)
    if converted_to is not None:
        # A defect converted into an enhancement request: its key leads to the request.
        return redirect("enhancements:detail", pk=converted_to, permanent=True)
    user = request.user
    can_work = roles.can_work_defects(user)
    context = {
        "defect": defect,
        "links": _linked_tickets_page(request, defect),
        "thread": defect_thread_list(defect=defect, user=user, page=_number(request.GET.get("thread"))),
        "transition_form": TransitionForm(defect=defect) if can_work else None,
        "edit_form": DefectEditForm(
            defect=defect, releases=product_release_list(product_id=defect.product_id), teams=team_list()
        ) if can_work else None,
        # The "link to an existing tracker issue" card, while some connection is active.
        "can_link_tracker": can_work and tracker_connection_active(),
        "convert_importances": CONVERT_IMPORTANCES,
    }
    return render(request, "defects/detail.html", context)


def _may_download(user, attachment: Attachment) -> bool:
    if attachment.ticket_id is not None:
        return visible_tickets(user).filter(pk=attachment.ticket_id).exists()
    # Defects are visible to every role; role_required has checked that.
    return True


@role_required()
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve an attachment as a download, with the type checked at upload; `?preview=1` serves a
    checked image (PNG, JPEG, GIF, WebP) inline for the pages' previews, anything else still as a download."""
    attachment = get_object_or_404(Attachment, pk=pk)
    if not _may_download(request.user, attachment):
        raise Http404("No such attachment.")
    return download_response(attachment, inline=request.GET.get("preview") == "1" and attachment.is_previewable)
