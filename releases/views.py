"""Release pages: list, create, ship, the fixed-in-release report, outreach and charts.

Views are thin: they check roles, shape input with forms and call services.
Every staff role reads; only managers create, ship and notify customers.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from core import roles
from core.charts import chart_table
from core.decorators import role_required
from core.history import history_lines
from core.jinja2 import render_fragment
from core.models import Channel
from core.paths import path_maker
from core.words import count_of
from defects.models import Defect
from releases.forms import ReleaseCreateForm, ReleaseFilterForm, ReleaseShipForm, ReportFilterForm
from releases.models import Release
from releases.selectors import (
    notice_progress,
    release_affected_customers,
    release_defects,
    release_list_rows,
    releases_by_product,
)
from releases.services.export import report_csv, report_filename
from releases.services.outreach import release_queue_notices
from releases.services.releases import later_planned_releases, release_create
from releases.services.report import release_report, release_upgrade_advice
from releases.services.report import release_report_page as report_page
from releases.services.ship import release_ship, ship_preview
from releases.services.stats import manager_charts_cached
from tickets.forms import apply_service_errors
from tickets.selectors import product_list

PAGE_SIZE = 50
HISTORY_LENGTH = 15
# Lazy labels, as defects/views.py keeps them: each is translated when a page writes it, not at import.
DEFECT_STATUS_LABELS = dict(Defect.Status.choices)


@role_required()
def release_list(request: HttpRequest) -> HttpResponse:
    """Releases grouped by product, newest version first, with their defect counts."""
    form = ReleaseFilterForm(request.GET or None, products=product_list())
    releases = releases_by_product(product=form.selected_product())
    page = Paginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = release_list_rows(page.object_list)
    return render(request, "releases/list.html", {"form": form, "page": page})


@role_required(roles.is_manager)
def release_create_page(request: HttpRequest) -> HttpResponse:
    form = ReleaseCreateForm(request.POST or None, products=product_list())
    if request.method == "POST" and form.is_valid():
        try:
            release = release_create(actor=request.user, channel=Channel.WEB, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Planned {release.product} {release.version}.")
            return redirect("releases:detail", pk=release.pk)
    return render(request, "releases/new.html", {"form": form}, status=400 if form.errors else 200)


def _release(pk: int) -> Release:
    return get_object_or_404(Release.objects.select_related("product", "shipped_by"), pk=pk)


@role_required()
def release_detail(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    fixed, planned = release_defects(
        release, fixed_page=request.GET.get("fixed"), planned_page=request.GET.get("planned"),
    )
    context = {
        "release": release,
        "fixed": fixed,
        "planned": planned,
        "fixed_table": _defect_table(fixed.object_list, empty="No defect is marked fixed in this release yet."),
        "planned_table": _defect_table(planned.object_list, empty="No open defect is planned for this release."),
        "history": history_lines(release, limit=HISTORY_LENGTH),
    }
    return render(request, "releases/detail.html", context)


@role_required(roles.is_manager)
def release_ship_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what shipping will do, and a confirmation. POST: ship."""
    release = _release(pk)
    if release.is_released:
        messages.info(request, f"{release.version} was already released.")
        return redirect("releases:detail", pk=release.pk)
    form = ReleaseShipForm(request.POST or None, releases=later_planned_releases(release))
    if request.method == "POST" and form.is_valid():
        try:
            result = release_ship(
                release=release, actor=request.user, channel=Channel.WEB,
                move_unfixed_to=form.cleaned_data["move_unfixed_to"], reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Shipped {release.product} {release.version}: {count_of(len(result.released), 'defect')} released, "
                f"{count_of(len(result.slipped), 'planned defect')} slipped.",
            )
            return redirect("releases:report", pk=release.pk)
    preview = ship_preview(release)
    context = {
        "release": release, "form": form, "code": preview["code"],
        "released_table": _defect_table(preview["released"], empty="No defect is marked fixed in this release."),
        "slipped_table": _defect_table(
            preview["slipped"], empty="Nothing planned for this release is left unfixed."
        ),
    }
    return render(request, "releases/ship.html", context, status=400 if form.errors else 200)


def _defect_table(defects, *, empty: str) -> SafeString:
    """A table of a release's defects (templates/jinja2/releases/defect_table.html), or `empty` when none.

    Up to fifty rows a table and two tables a page: the Django template engine spent
    more on them than the rest of the release page.
    """
    return render_fragment("releases/defect_table.html", {
        "defects": defects, "empty": empty, "defect_url": path_maker("defects:detail"),
        "status_labels": DEFECT_STATUS_LABELS,
    })


def _advice_rows(upgrades, release) -> SafeString:
    """The rows of the upgrade advice: templates/jinja2/releases/advice_rows.html.

    A row per version customers run, each naming its customers and up to ten fixes:
    the Django template engine spent more on them than the advice cost to work out.
    """
    return render_fragment("releases/advice_rows.html", {
        "upgrades": upgrades, "release_version": release.version, "defect_url": path_maker("defects:detail"),
    })


def _defect_rows(defects) -> SafeString:
    """The rows of the report's defects table: templates/jinja2/releases/report_defects.html.

    Fifty fixes a page, nine lookups a row: Jinja2 draws them at a fraction of what the
    Django template engine spent on them.
    """
    return render_fragment(
        "releases/report_defects.html", {"defects": defects, "defect_url": path_maker("defects:detail")}
    )


def _customer_rows(report, user) -> SafeString:
    """The page's customers to tell: templates/jinja2/releases/report_customers.html.

    Twenty-five customers a page, each with its tickets and contacts: drawn by the
    Django template engine they cost as much as working them out. Their tickets, each
    linked to a fix, are links for whoever may open an escalated ticket; plain numbers
    for the others (product managers).
    """
    may_open = roles.can_work_tickets(user) or roles.is_engineer(user)
    return render_fragment("releases/report_customers.html", {
        "customers": report.customers, "ticket_url": path_maker("tickets:detail") if may_open else None,
    })


def _request_section(report, user) -> SafeString:
    """The delivered requests with the tickets that asked, and the contacts to tell of them:
    templates/jinja2/releases/report_requests.html. Their tickets were never escalated, so only
    the help desk's people may open them: plain numbers for the others."""
    may_open = roles.can_work_tickets(user)
    return render_fragment("releases/report_requests.html", {
        "requests": report.requests, "contacts": report.request_contacts,
        "ticket_url": path_maker("tickets:detail") if may_open else None,
        "request_url": path_maker("enhancements:detail"),
    })


@role_required()
def release_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The fixed-in-release report; `?format=csv` downloads it all; `?customer=` narrows it.

    The page shows the fixes (`?fixes=`) and the customers to tell (`?page=`) a page at a
    time; the CSV and the API carry them all.
    """
    release = _release(pk)
    form = ReportFilterForm(request.GET or None, customers=release_affected_customers(release))
    if request.GET.get("format") == "csv":
        customer = form.selected_customer()
        if form.errors:
            # Not every customer's contacts in place of the one customer asked for.
            return HttpResponseBadRequest(" ".join(form.errors["customer"]), content_type="text/plain; charset=utf-8")
        report = release_report(release, customer=customer, with_upgrades=False)
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
        return response
    # The upgrade advice is read by its own request (release_upgrade_advice_page), which
    # the page makes once it has loaded: the customers to tell come first.
    report = report_page(
        release, customer=form.selected_customer(), page=request.GET.get("page"),
        fixes_page=request.GET.get("fixes"), with_upgrades=False,
    )
    form.offer(report.affected)
    context = {
        "release": release, "form": form, "report": report, "progress": report.progress,
        "defect_rows": _defect_rows(report.fixes.object_list), "customer_filter": report.customer_filter,
        "customer_rows": _customer_rows(report, request.user),
        "request_section": _request_section(report, request.user) if report.requests else "",
    }
    return render(request, "releases/report.html", context)


@role_required()
def release_upgrade_advice_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's upgrade advice: the section alone for the report page (htmx), a page of its own otherwise."""
    release = _release(pk)
    form = ReportFilterForm(request.GET or None, customers=release_affected_customers(release))
    customer = form.selected_customer()
    if form.errors:
        # Not everyone's advice in place of the one customer asked for.
        return HttpResponseBadRequest(" ".join(form.errors["customer"]), content_type="text/plain; charset=utf-8")
    upgrades = release_upgrade_advice(release, customer=customer)
    context = {
        "release": release, "upgrades": upgrades, "customer_filter": customer,
        "advice_rows": _advice_rows(upgrades, release),
    }
    template = "releases/_advice.html" if request.htmx else "releases/advice.html"
    return render(request, template, context)


@role_required()
def release_notice_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The outreach progress box, polled by the report page while notices are pending."""
    release = _release(pk)
    return render(request, "releases/_progress.html", {"release": release, "progress": notice_progress(release)})


@require_POST
@role_required(roles.is_manager)
def release_notify_page(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    try:
        progress = release_queue_notices(release=release, actor=request.user, channel=Channel.WEB)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if progress["pending"]:
            messages.success(request, f"Emailing {count_of(progress['pending'], 'contact')} in the background.")
        else:
            messages.info(request, "Every affected contact has already been told.")
    return redirect(reverse("releases:report", args=[release.pk]) + "#outreach")


@role_required(roles.is_manager)
def manager_reports(request: HttpRequest) -> HttpResponse:
    charts = manager_charts_cached()
    tables = {name: chart_table(chart) for name, chart in charts.items()}
    return render(request, "releases/charts.html", {"charts": charts, "tables": tables})
