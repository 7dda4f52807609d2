import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from tickets.models import Customer, Product, Ticket
from tickets.selectors import TICKET_SORTS, filter_tickets


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error, not "no filter".

    django-filter's BooleanFilter reads `?escalated=maybe` as absent and lists
    every ticket, so a typo silently widens the answer. Here it is a 400, as
    an unknown `status` is.
    """

    widget = forms.TextInput
    TRUE, FALSE = ("true", "1"), ("false", "0")

    def to_python(self, value) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError("Use true or false.", code="invalid")

    def validate(self, value) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class TicketFilter(django_filters.FilterSet):
    """The ticket list's filters; the filtering itself is tickets.selectors.filter_tickets."""

    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all())
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    escalated = StrictBooleanFilter(help_text="Linked to a defect (true) or not (false).")
    search = django_filters.CharFilter(help_text="A ticket number, or words of the subject or customer name.")
    assignee = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), help_text="The id of the user the tickets are assigned to.",
    )
    waiting = StrictBooleanFilter(
        help_text="Open tickets not updated for longer than their customer's tier allows (true).",
    )
    sort = django_filters.ChoiceFilter(
        choices=TICKET_SORTS.choices(),
        help_text="The order: created (the default, newest first), subject, status or updated; "
        "a leading - reverses it.",
    )

    class Meta:
        model = Ticket
        fields = ["status", "customer", "product", "escalated", "search", "assignee", "waiting", "sort"]

    def filter_queryset(self, queryset):
        # One place decides what each filter means, shared with the ticket list page.
        filters = dict(self.form.cleaned_data)
        sort = filters.pop("sort", "")
        filters["waiting"] = bool(filters.get("waiting"))
        tickets = filter_tickets(queryset, **filters)
        return tickets.order_by(*TICKET_SORTS.order_by(sort)) if sort else tickets
