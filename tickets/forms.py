"""Forms for the ticket pages. They shape input; the services decide the rules."""

import json
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse_lazy

from core.forms import FieldGroupsMixin
from core.widgets import DependentSelect, LongSelect, SuggestInput
from defects.attachments import check_upload
from defects.forms_triage import IdsField
from defects.models import Defect
from defects.severity import Impact, Severity, Urgency
from tickets.models import Customer, Product, Ticket
from tickets.selectors import TicketFormChoices
from tickets.services.bulk import MAX_TICKETS

_TEXTAREA = {"rows": 4}


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names.

    Keys the form does not have (and `non_field_errors`) become form-wide errors.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class CustomerLookupField(forms.Field):
    """A customer chosen by typing its name; an id (`?customer=42`, in links) works too.

    Digits are an id first; otherwise the name, in any case, or the one customer
    whose name contains the text. The input then shows the customer's name.
    """

    widget = SuggestInput(
        attrs={"placeholder": "Any customer"}, suggest_url=reverse_lazy("tickets:customer_suggestions")
    )
    default_error_messages = {
        "none": "No customer is called \u201c%(value)s\u201d.",
        "several": "Several customers match \u201c%(value)s\u201d: pick one from the list.",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._names = {}  # typed value -> the chosen customer's name, for the input
        # text -> the customers it names (tickets.selectors.customer_lookup), handed in by the form.
        self.lookup: Callable[..., list[Customer]] | None = None

    def to_python(self, value) -> Customer | None:
        text = (value or "").strip()
        if not text:
            return None
        matching = self.lookup(text=text)
        if len(matching) != 1:
            code = "several" if matching else "none"
            raise ValidationError(self.error_messages[code], code=code, params={"value": text})
        found = matching[0]
        self._names[value] = found.name
        return found

    def prepare_value(self, value):
        if isinstance(value, Customer):
            return value.name
        return self._names.get(value, value)


class TicketFilterForm(FieldGroupsMixin, forms.Form):
    """The ticket list's filters. Invalid values are reported and ignored."""

    ESCALATED_CHOICES = [("", "Escalated or not"), ("yes", "Escalated"), ("no", "Not escalated")]

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(
        label="Help-desk status", required=False, choices=[("", "Any status"), *Ticket.Status.choices],
        widget=LongSelect,
    )
    customer = CustomerLookupField(label="Customer", required=False)
    product = forms.ModelChoiceField(
        label="Product", required=False, queryset=None, empty_label="Any product",
        widget=LongSelect(label_field="name"),
    )
    escalated = forms.ChoiceField(label="Escalated", required=False, choices=ESCALATED_CHOICES, widget=LongSelect)
    assignee = forms.ChoiceField(
        label="Assigned to", required=False, choices=[("", "Anyone"), ("me", "Me"), ("none", "Nobody")],
        widget=LongSelect,
    )
    waiting = forms.ChoiceField(
        label="Last update", required=False, choices=[("", "Any time"), ("yes", "Waiting too long")],
        widget=LongSelect,
    )

    def __init__(
        self, *args, products: QuerySet[Product], find_customers: Callable[..., list[Customer]], user=None,
        product_choices=None, **kwargs
    ):
        """`products`: tickets.selectors.product_list(); `find_customers`: tickets.selectors.customer_lookup;
        `user`: who "Me" is; `product_choices`: the (id, name) pairs shown, already read
        (tickets.selectors.product_choices; read from `products` otherwise)."""
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        if product_choices is not None:
            self.fields["product"].widget.offer([("", self.fields["product"].empty_label), *product_choices])
        self.fields["customer"].lookup = find_customers
        self.user = user

    def filters(self) -> dict:
        """Keyword arguments for tickets.selectors.filter_tickets from the valid fields."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        escalated = {"yes": True, "no": False}.get(data.get("escalated") or "")
        assignee = data.get("assignee") or ""
        return {
            "status": data.get("status") or None,
            "customer": data.get("customer"),
            "product": data.get("product"),
            "escalated": escalated,
            "search": data.get("q") or None,
            "assignee": self.user if assignee == "me" else None,
            "unassigned": assignee == "none",
            "waiting": data.get("waiting") == "yes",
        }


# The new-ticket form's blank contact, also the first option tickets:contact_choices writes.
NO_CONTACT = "No contact"
# Another customer typed or picked: its contacts are fetched again (tickets:contact_choices).
CUSTOMER_CHANGED = "input changed delay:300ms from:#id_customer, change from:#id_customer"


class TicketCreateForm(forms.Form):
    """A new ticket. A help desk has thousands of customers and contacts, so the customer is typed
    (with suggestions, as the list's filter) and only its contacts are offered."""

    subject = forms.CharField(label="Subject", max_length=200)
    customer = CustomerLookupField(
        label="Customer", help_text="Its name, or its number; suggestions come as you type.",
        widget=SuggestInput(attrs={"placeholder": "Type a customer's name"},
                            suggest_url=reverse_lazy("tickets:customer_suggestions")),
    )
    contact = forms.ModelChoiceField(
        label="Contact", required=False, queryset=None, empty_label=NO_CONTACT,
        widget=LongSelect(attrs={
            "hx-get": reverse_lazy("tickets:contact_choices"), "hx-trigger": CUSTOMER_CHANGED,
            "hx-include": "#id_customer", "hx-target": "this", "hx-swap": "innerHTML", "hx-sync": "this:replace",
        }),
        help_text="Someone at the customer's organisation.",
    )
    # Components and versions are offered for the product chosen (DependentSelect).
    # The service still checks that each choice belongs to the customer or product.
    product = forms.ModelChoiceField(label="Product", queryset=None)
    component = forms.ModelChoiceField(
        label="Component", required=False, queryset=None,
        widget=DependentSelect(depends_on="product"),
    )
    version = forms.ModelChoiceField(
        label="Version", required=False, queryset=None,
        widget=DependentSelect(depends_on="product"),
    )
    environment = forms.CharField(
        label="Environment", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Operating system, browser, database, deployment.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown is supported.",
    )

    def __init__(self, *args, choices: TicketFormChoices, **kwargs):
        """`choices`: tickets.selectors.ticket_form_choices()."""
        super().__init__(*args, **kwargs)
        self.choices = choices
        self.fields["customer"].lookup = choices.find_customers
        for name, queryset in [
            ("contact", choices.contacts), ("product", choices.products),
            ("component", choices.components), ("version", choices.versions),
        ]:
            self.fields[name].queryset = queryset
        for name, model in (("component", choices.components.model), ("version", choices.versions.model)):
            self.fields[name].widget.offer([("", self.fields[name].empty_label, ""), *choices.parts_of(model)])
        self._offer_contacts(None)

    def _offer_contacts(self, customer) -> None:
        self.fields["contact"].widget.offer([("", NO_CONTACT), *self.choices.contacts_of(customer=customer)])

    def full_clean(self) -> None:
        super().full_clean()
        # The form comes back with its errors: offer the contacts of the customer it names.
        if self.is_bound and self._errors:
            self._offer_contacts(self.cleaned_data.get("customer"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files, cleaned one by one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class EscalateForm(forms.Form):
    """What engineering needs to reproduce the problem. Severity is computed."""

    title = forms.CharField(label="Title", max_length=200)
    impact = forms.ChoiceField(
        label="Impact", choices=[("", "Who is affected?"), *Impact.choices],
        help_text="How many people the problem reaches.",
    )
    urgency = forms.ChoiceField(
        label="Urgency", choices=[("", "How bad is it?"), *Urgency.choices],
        help_text="What the problem does to their work.",
    )
    steps_to_reproduce = forms.CharField(
        label="Steps to reproduce", required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    expected_result = forms.CharField(
        label="Expected result", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    actual_result = forms.CharField(
        label="Actual result", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.ModelChoiceField(
        label="Version", required=False, queryset=None, empty_label="Not known",
        widget=LongSelect(label_field="name"),
    )
    component = forms.ModelChoiceField(
        label="Component", required=False, queryset=None, empty_label="Not known",
        widget=LongSelect(label_field="name"),
    )
    environment = forms.CharField(
        label="Environment", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs=_TEXTAREA),
        help_text="Markdown is supported. Defaults to the ticket's description.",
    )
    severity = forms.ChoiceField(
        label="Propose another severity", required=False,
        choices=[("", "No, use the computed severity"), *Severity.choices],
    )
    severity_reason = forms.CharField(
        label="Why this severity?", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you propose a severity other than the computed one. Engineering sees it.",
    )
    attachments = MultipleFileField(
        label="Screenshots and logs", required=False,
        help_text="Images, PDF, ZIP, gzip or text logs. Pick them again if the form comes back with errors.",
    )

    def __init__(self, ticket: Ticket, *args, parts: tuple[QuerySet, QuerySet], **kwargs):
        """`parts`: the ticket's product's versions and components (tickets.selectors.product_parts)."""
        kwargs.setdefault(
            "initial",
            {
                "title": ticket.subject,
                "version": ticket.version_id,
                "component": ticket.component_id,
                "environment": ticket.environment,
                "description": ticket.description,
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        # Only the ticket's product: a version of another product is not offered.
        self.fields["version"].queryset, self.fields["component"].queryset = parts

    def clean_attachments(self) -> list:
        checked, errors = [], []
        for upload in self.cleaned_data.get("attachments") or []:
            try:
                checked.append(check_upload(upload, field="attachments"))
            except ValidationError as exc:
                errors.extend(exc.message_dict["attachments"])
        if errors:
            raise ValidationError(errors)
        return checked

    def service_kwargs(self) -> dict:
        """Arguments for tickets.services.escalation.ticket_escalate."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "impact": data["impact"],
            "urgency": data["urgency"],
            "description": data["description"],
            "steps_to_reproduce": data["steps_to_reproduce"],
            "expected_result": data["expected_result"],
            "actual_result": data["actual_result"],
            "component": data["component"],
            "version": data["version"],
            "environment": data["environment"],
            "severity": data["severity"] or None,
            "severity_reason": data["severity_reason"],
            "attachments": data["attachments"],
        }


class TicketIdsField(IdsField):
    """The tickets a bulk action was posted for: refused before any lookup when more than MAX_TICKETS."""

    def clean(self, value):
        if isinstance(value, list | tuple) and len(value) > MAX_TICKETS:
            raise ValidationError(f"Select at most {MAX_TICKETS} tickets at a time.", code="too_many")
        return super().clean(value)


class TicketBulkForm(forms.Form):
    """One change for the tickets selected on the list (tickets.services.bulk)."""

    ACTIONS = [("assign", "Assign to"), ("unassign", "Unassign"), ("status", "Set help-desk status")]
    # Which field each action needs, and the fields each uses (the page shows only the chosen
    # action's, static/js/bulk-actions.js).
    NEEDS = {"assign": "assignee", "status": "status"}
    ACTION_FIELDS = {"assign": ["assignee"], "unassign": [], "status": ["status", "reason"]}

    tickets = TicketIdsField(queryset=None, error_messages={"required": "Select at least one ticket."})
    action = forms.ChoiceField(label="Action", choices=ACTIONS, widget=LongSelect)
    assignee = forms.TypedChoiceField(
        label="Assignee", required=False, coerce=int, empty_value=None, widget=LongSelect,
    )
    status = forms.ChoiceField(
        label="Help-desk status", required=False, choices=[("", "—"), *Ticket.Status.choices], widget=LongSelect,
    )
    reason = forms.CharField(label="Note", required=False, max_length=500)

    @property
    def action_fields_json(self) -> str:
        return json.dumps(self.ACTION_FIELDS)

    def __init__(self, *args, tickets: QuerySet[Ticket], assignees: list[tuple[int, str]], **kwargs):
        """`tickets`: those the user may change; `assignees`: tickets.selectors.assignable_users()."""
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = tickets
        self.fields["assignee"].choices = [("", "—"), *assignees]

    def clean(self):
        data = super().clean()
        needed = self.NEEDS.get(data.get("action"))
        if needed and not data.get(needed):
            self.add_error(needed, "Choose a value for this action.")
        return data


class LinkDefectForm(forms.Form):
    defect = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, defects: QuerySet[Defect], **kwargs):
        """`defects`: those the ticket may be linked to (defects.selectors.defect_list)."""
        super().__init__(*args, **kwargs)
        self.fields["defect"].queryset = defects


class UnlinkDefectForm(forms.Form):
    reason = forms.CharField(
        label="Why unlink it", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the history of the ticket and of the defect.",
    )


class ProblemBackForm(forms.Form):
    reason = forms.CharField(
        label="What shows the problem is back", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Engineering reads it when the defect returns to triage.",
    )


class TicketStatusForm(FieldGroupsMixin, forms.Form):
    status = forms.ChoiceField(label="Help-desk status", choices=Ticket.Status.choices, widget=LongSelect)
    reason = forms.CharField(label="Note", required=False)

    def __init__(self, *args, offered: list[tuple[str, str]] | None = None, **kwargs):
        """`offered`: the statuses the ticket may take now (tickets.services.status.ticket_status_choices).

        Only those are offered; any status is accepted, so that one which does not fit
        is refused by the service with its reason rather than as an unknown choice.
        """
        super().__init__(*args, **kwargs)
        if offered is not None:
            self.fields["status"].widget.choices = offered
