"""The contact's pages: their tickets, one ticket, a new ticket, their installations, their account."""

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.ids import id_from_text
from core.jinja2 import render_fragment
from core.paginator import LargeTablePaginator
from core.paths import path_maker
from defects.attachments import download_response
from portal.advice import InstallationAdvice, installations_advice
from portal.forms import (
    InstallationForm,
    NewTicketForm,
    NotificationsForm,
    PasswordForm,
    ReplyForm,
    TokenForm,
    apply_service_errors,
)
from portal.selectors import (
    LIST_FIELDS,
    TicketRow,
    account_of,
    account_tokens,
    customer_of,
    installation_get,
    portal_file,
    portal_ticket,
    portal_ticket_list,
    portal_ticket_page,
    product_choices,
    ticket_rows,
    version_choices,
)
from portal.services import contact_channel
from portal.services.accounts import (
    portal_change_password,
    portal_set_notifications,
    portal_token_issue,
    portal_token_revoke,
)
from portal.services.installations import installation_delete, installation_save
from portal.services.notify import account_for_unsubscribe
from portal.services.tickets import portal_reply, portal_ticket_create
from portal.views.common import portal_required

PAGE_SIZE = 25
# "Our installations": tickets named per advice line (and per "already fixed" line); the rest are counted.
TICKETS_SHOWN = 20


@require_GET
@portal_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """The contact's tickets (their own, or their organisation's), newest first, each with its plain status."""
    open_only = request.GET.get("show") != "all"
    # Counted and paged on the tickets alone; the page's rows then read their product's name.
    paginator = LargeTablePaginator(portal_ticket_list(request.portal, open_only=open_only), PAGE_SIZE,
                                    row_fields=LIST_FIELDS)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "portal/tickets.html", {
        "page": page, "rows": list_rows(ticket_rows(list(page.object_list))), "open_only": open_only,
    })


def list_rows(rows: list[TicketRow]) -> SafeString:
    """The list's rows from templates/jinja2/portal/ticket_rows.html, each value looked up here once:
    the list is the page contacts open most (core.jinja2 says why a fragment)."""
    ticket_url = path_maker("portal:ticket")
    return render_fragment("portal/ticket_rows.html", {"rows": [
        {"url": ticket_url(row.pk), "subject": row.subject, "number": row.number, "product": row.product,
         "opened": date_format(localtime(row.created_at), "j M Y"), "code": row.status.code,
         "status": row.status.text}
        for row in rows
    ]})


@require_GET
@portal_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = portal_ticket_page(request.portal, pk)
    return render(request, "portal/ticket.html", {"page": page, "form": ReplyForm()})


@require_POST
@portal_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = portal_ticket(request.portal, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            portal_reply(
                identity=request.portal, ticket=ticket, body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect(reverse("portal:ticket", args=[pk]) + "#conversation")
    page = portal_ticket_page(request.portal, pk)
    return render(request, "portal/ticket.html", {"page": page, "form": form}, status=400)


@require_GET
@portal_required
def ticket_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    """A file sent with the ticket, as a download (never shown inline)."""
    return download_response(portal_file(request.portal, pk, file_pk))


@require_http_methods(["GET", "POST"])
@portal_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Raise a ticket: it reaches the help desk's list like any other."""
    form = NewTicketForm(request.POST or None, request.FILES or None, products=product_choices(),
                         versions=version_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = portal_ticket_create(
                identity=request.portal, product=data["product"], version=data["version"],
                subject=data["subject"], description=data["description"], files=data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("portal:ticket", pk=ticket.pk)
    return render(request, "portal/ticket_new.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@portal_required
def installations(request: HttpRequest) -> HttpResponse:
    """What the organisation runs, with the upgrade advice for the contact's tickets; a form to add one."""
    form = InstallationForm(request.POST or None, products=product_choices(), versions=version_choices())
    if request.method == "POST" and form.is_valid():
        try:
            installation_save(
                customer=customer_of(request.portal), actor=None, channel=_channel(request), **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("portal:installations")
    return render(request, "portal/installations.html", {
        "advice": advice_entries(installations_advice(request.portal)), "form": form,
    }, status=400 if form.errors else 200)


def advice_entries(advice: list[InstallationAdvice]) -> SafeString:
    """The installations and their advice, from templates/jinja2/portal/installations_advice.html.

    An organisation's advice links a few hundred tickets: the Django template engine spent
    more on drawing them than the advice cost to work out (core.jinja2 says why a fragment).
    """
    return render_fragment("portal/installations_advice.html", {
        "advice": advice, "shown": TICKETS_SHOWN,
        "ticket_url": path_maker("portal:ticket"), "installation_url": path_maker("portal:installation"),
    })


def _channel(request: HttpRequest) -> str:
    return contact_channel(request.portal)


@require_http_methods(["GET", "POST"])
@portal_required
def installation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    installation = installation_get(request.portal.customer_id, pk)
    initial = {"product": installation.product_id, "version": installation.version_id,
               "environment": installation.environment}
    form = InstallationForm(request.POST or None, initial=initial, products=product_choices(),
                            versions=version_choices())
    if request.method == "POST" and form.is_valid():
        try:
            installation_save(customer=customer_of(request.portal), installation=installation, actor=None,
                              channel=_channel(request), **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("portal:installations")
    return render(request, "portal/installation_edit.html", {"installation": installation, "form": form},
                  status=400 if form.errors else 200)


@require_POST
@portal_required
def installation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    installation = installation_get(request.portal.customer_id, pk)
    installation_delete(installation=installation, actor=None, channel=_channel(request))
    return redirect("portal:installations")


@require_http_methods(["GET", "POST"])
@portal_required
def account(request: HttpRequest) -> HttpResponse:
    """Emails on or off, a new password, API tokens for /api/portal/."""
    me = account_of(request.portal)
    action = request.POST.get("action") if request.method == "POST" else None
    notifications = NotificationsForm(
        request.POST if action == "notifications" else None, initial={"notify_by_email": me.notify_by_email}
    )
    password = PasswordForm(request.POST if action == "password" else None)
    token_form = TokenForm(request.POST if action == "token" else None)
    new_key = None
    done = ""
    if action == "notifications" and notifications.is_valid():
        portal_set_notifications(account=me, on=notifications.cleaned_data["notify_by_email"])
        done = "Saved."
    elif action == "password" and password.is_valid():
        try:
            portal_change_password(account=me, password=password.cleaned_data["password"],
                                   keep_session_id=request.portal.session_id)
        except ValidationError as exc:
            apply_service_errors(password, exc)
        else:
            done, password = "Your password is changed.", PasswordForm()
    elif action == "token" and token_form.is_valid():
        _, new_key = portal_token_issue(account=me, name=token_form.cleaned_data["name"])
        token_form = TokenForm()
    elif action == "revoke":
        token_id = id_from_text(request.POST.get("token"))
        if token_id is not None and portal_token_revoke(account=me, token_id=token_id):
            done = "Token revoked."
    failed = any(f.errors for f in (notifications, password, token_form))
    return render(request, "portal/account.html", {
        "notifications": notifications, "password": password, "token_form": token_form, "new_key": new_key,
        "tokens": list(account_tokens(request.portal)), "done": done,
    }, status=400 if failed else 200)


# A one-click unsubscribe (RFC 8058) is POSTed by the mail client itself, with no page and so no
# CSRF token: the signed link is the proof, and all it can do is turn emails off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (scanners that open links change nothing); POST: emails off."""
    found = account_for_unsubscribe(token)
    if found is None:
        return render(request, "portal/unsubscribe.html", {"valid": False}, status=400)
    if request.method == "POST":
        portal_set_notifications(account=found, on=False)
        return render(request, "portal/unsubscribe.html", {"valid": True, "done": True})
    return render(request, "portal/unsubscribe.html", {"valid": True, "done": False})
