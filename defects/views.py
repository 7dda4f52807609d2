"""Defect pages and attachment downloads."""

from django import forms
from django.core.paginator import Paginator
from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dates import MONTHS_3

from defects.models import Attachment, Defect, Team, TicketDefectLink
from defects.selectors import ROW_NAMES, TRIAGE_ORDER, defect_list_queryset
from defects.severity import Severity
from core.decorators import role_required
from core.forms import FieldGroupsMixin
from core.paths import path_maker
from core.widgets import LongSelect
from tickets.models import Product, Ticket
from tickets.selectors import visible_tickets

User = get_user_model()
PAGE_SIZE = 50
UNROUTED = "unrouted"
# What a list row shows of the defect itself; its product and team are named from the filter
# form's catalogues (DefectFilterForm.row_names), its component and planned release joined.
LIST_COLUMNS = ("id", "key", "title", "severity", "status", "customer_count", "ticket_count", "product_id", "team_id")
LIST_NAMES = {name: ROW_NAMES[name] for name in ("component_name", "planned_version")}
STATUS_LABELS = dict(Defect.Status.choices)


def offer_pairs(field: forms.ModelChoiceField, label_field: str = "name") -> list[tuple[int, str]]:
    """The field's choices read once as (id, label) pairs, offered by its select as they are."""
    pairs = list(field.queryset.values_list("pk", label_field))
    field.widget.choices = [("", field.empty_label), *pairs]
    return pairs


class DefectFilterForm(FieldGroupsMixin, forms.Form):
    """The defect list's filters. Invalid values are reported and ignored."""

    # LongSelect: options rendered in Python, not through a template each (see core/widgets.py).
    team = forms.ChoiceField(label="Team", required=False, widget=LongSelect)
    severity = forms.ChoiceField(
        label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices], widget=LongSelect
    )
    status = forms.ChoiceField(
        label="Engineering status", required=False, choices=[("", "Any status"), *Defect.Status.choices],
        widget=LongSelect,
    )
    product = forms.ModelChoiceField(
        label="Product", required=False, queryset=Product.objects.all(), empty_label="Any product",
        widget=LongSelect(label_field="name"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The teams and products as (id, name) pairs, read once: a page may offer them in
        # another form too, or name its rows' teams and products from them.
        self.teams = self.read_teams()
        self.fields["team"].choices = [("", "Any team"), (UNROUTED, "Unrouted"), *self.teams]
        self.products = offer_pairs(self.fields["product"])

    def read_teams(self) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Team.objects.values_list("pk", "name")]

    def row_names(self, rows: list[dict]) -> None:
        """Name each row's product and team from the catalogues this form has read (no joins for them)."""
        products, teams = dict(self.products), {int(pk): name for pk, name in self.teams}
        for row in rows:
            row["product_name"] = products.get(row["product_id"], "")
            row["team_name"] = teams.get(row["team_id"])

    def apply(self, qs: QuerySet[Defect]) -> QuerySet[Defect]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        team = data.get("team")
        if team == UNROUTED:
            qs = qs.filter(team__isnull=True)
        elif team:
            qs = qs.filter(team_id=int(team))
        if data.get("severity"):
            qs = qs.filter(severity=data["severity"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("product"):
            qs = qs.filter(product=data["product"])
        return qs


@role_required()
def defect_list(request: HttpRequest) -> HttpResponse:
    """Every role sees defects; most severe and widest impact first."""
    form = DefectFilterForm(request.GET or None)
    defects = form.apply(Defect.objects.order_by(*TRIAGE_ORDER))
    # Counted and sliced as defects; only the page's rows are read, as values with their joins.
    page = Paginator(defects, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = rows = list(page.object_list.values(*LIST_COLUMNS, **LIST_NAMES))
    form.row_names(rows)
    defect_path = path_maker("defects:detail")
    for row in rows:
        row["url"] = defect_path(row["id"])
        row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    return render(request, "defects/list.html", {"form": form, "page": page})


TICKET_STATUS_LABELS = dict(Ticket.Status.choices)


def day_month_year(moment) -> str:
    """The date filter's "j M Y" (e.g. 17 Jul 2025) of a local time, without its per-call lookups."""
    return f"{moment.day} {MONTHS_3[moment.month].title()} {moment.year:04d}"


def linked_ticket_rows(defect_id: int) -> list[dict]:
    """The defect's linked tickets, oldest link first, as the plain values the page shows.

    A much-linked defect has dozens: read as values (no ticket, customer and user
    instances each) with their URLs from one reverse.
    """
    rows = list(
        TicketDefectLink.objects.filter(defect_id=defect_id).order_by("linked_at", "id").values(
            "ticket_id", "linked_at", number=F("ticket__number"), subject=F("ticket__subject"),
            status=F("ticket__status"), customer_name=F("ticket__customer__name"),
            linked_by_name=F(f"linked_by__{User.USERNAME_FIELD}"),
        )
    )
    ticket_path = path_maker("tickets:detail")
    for row in rows:
        row["url"] = ticket_path(row["ticket_id"])
        row["status_label"] = TICKET_STATUS_LABELS.get(row["status"], row["status"])
        row["linked_on"] = day_month_year(timezone.localtime(row["linked_at"]))
    return rows


@role_required()
def defect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    defect = get_object_or_404(
        defect_list_queryset().prefetch_related(
            "affected_versions", "attachments", "external_issues__connection", "sync_conflicts",
        ),
        pk=pk,
    )
    return render(request, "defects/detail.html", {"defect": defect, "links": linked_ticket_rows(defect.pk)})


def _may_download(user, attachment: Attachment) -> bool:
    if attachment.ticket_id is not None:
        return visible_tickets(user).filter(pk=attachment.ticket_id).exists()
    # Defects are visible to every role; role_required has checked that.
    return True


@role_required()
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve an attachment as a download, never inline, with the type checked at upload."""
    attachment = get_object_or_404(Attachment, pk=pk)
    if not _may_download(request.user, attachment):
        raise Http404("No such attachment.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
