import django_filters

from tickets.models import Customer, Product, Ticket
from tickets.selectors import filter_tickets


class TicketFilter(django_filters.FilterSet):
    """The ticket list's filters; the filtering itself is tickets.selectors.filter_tickets."""

    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all())
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    escalated = django_filters.BooleanFilter(help_text="Linked to a defect (true) or not (false).")
    search = django_filters.CharFilter(help_text="A ticket number, or words of the subject or customer name.")

    class Meta:
        model = Ticket
        fields = ["status", "customer", "product", "escalated", "search"]

    def filter_queryset(self, queryset):
        # One place decides what each filter means, shared with the ticket list page.
        return filter_tickets(queryset, **self.form.cleaned_data)
