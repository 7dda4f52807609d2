import django_filters
from django import forms
from django.core.exceptions import ValidationError

from tickets.models import Customer, Product, Ticket
from tickets.selectors import filter_tickets


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

    class Meta:
        model = Ticket
        fields = ["status", "customer", "product", "escalated", "search"]

    def filter_queryset(self, queryset):
        # One place decides what each filter means, shared with the ticket list page.
        return filter_tickets(queryset, **self.form.cleaned_data)
