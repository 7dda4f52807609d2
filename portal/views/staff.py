"""Staff pages about the portal: inviting a contact, and a customer's installations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import roles
from core.decorators import role_required
from core.ids import id_from_text
from core.models import Channel
from core.redirects import next_path
from portal.forms import InstallationForm, apply_service_errors
from portal.selectors import customer_installations, installation_get, product_choices, version_choices
from portal.services.accounts import portal_invite
from portal.services.installations import installation_delete, installation_save
from tickets.models import Contact, Customer


@require_POST
@role_required(roles.can_work_tickets)
def contact_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Invite to the portal" button: the contact gets an email with a link to set a password (72 hours)."""
    contact = get_object_or_404(Contact, pk=pk)
    try:
        portal_invite(contact=contact, actor=request.user, channel=Channel.WEB)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Invited {contact.name} to the customer portal: the link is on its way "
                                  f"to {contact.email}.")
    return redirect(next_path(request) or reverse("tickets:list"))


def _form(data, installation=None) -> InstallationForm:
    """The add form, or the form of one installation's row (its own field prefix)."""
    if installation is None:
        return InstallationForm(data, products=product_choices(), versions=version_choices())
    initial = {"product": installation.product_id, "version": installation.version_id,
               "environment": installation.environment}
    return InstallationForm(data, initial=initial, prefix=f"i{installation.pk}", products=product_choices(),
                            versions=version_choices())


@require_http_methods(["GET", "POST"])
@role_required(roles.can_work_tickets)
def customer_installations_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What a customer runs (the same list its contacts keep in the portal): add, change, remove."""
    customer = get_object_or_404(Customer, pk=pk)
    posted = id_from_text(request.POST.get("installation"))
    editing = installation_get(customer.pk, posted) if posted is not None else None
    if editing is not None and request.POST.get("remove"):
        installation_delete(installation=editing, actor=request.user, channel=Channel.WEB)
        messages.success(request, "Removed.")
        return redirect("portal_staff:installations", pk=customer.pk)
    form = _form(request.POST if request.method == "POST" else None, editing)
    if request.method == "POST" and form.is_valid():
        try:
            installation_save(customer=customer, installation=editing, actor=request.user, channel=Channel.WEB,
                              **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("portal_staff:installations", pk=customer.pk)
    rows = [
        (installation, form if editing is not None and installation.pk == editing.pk else _form(None, installation))
        for installation in customer_installations(customer.pk)
    ]
    return render(request, "portal/staff_installations.html", {
        "customer": customer, "rows": rows, "form": form if editing is None else _form(None),
    }, status=400 if form.errors else 200)
