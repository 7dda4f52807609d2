"""Forms for the release pages. They shape input; the services decide the rules.

What a form offers (products, releases, customers) is read by a selector and handed
in by the view: the forms themselves do not query.
"""

from django import forms
from django.db.models import QuerySet

from core.widgets import LongSelect
from releases.models import Release
from tickets.models import Customer, Product


class ReleaseFilterForm(forms.Form):
    product = forms.ModelChoiceField(label="Product", required=False, queryset=None, empty_label="Every product")

    def __init__(self, *args, products: QuerySet[Product], **kwargs):
        """`products`: tickets.selectors.product_list()."""
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products

    def selected_product(self) -> Product | None:
        """The product to narrow the list to; None for every product (or one not offered)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("product")


class ReleaseCreateForm(forms.Form):
    product = forms.ModelChoiceField(label="Product", queryset=None)
    version = forms.CharField(label="Version", max_length=40, help_text="Numbers with dots, e.g. 2.4.0")
    planned_date = forms.DateField(
        label="Planned date", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="An estimate the help desk may pass on as such.",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, products: QuerySet[Product], **kwargs):
        """`products`: tickets.selectors.product_list()."""
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class _ReleaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Release) -> str:
        when = f", planned {obj.planned_date:%d %b %Y}" if obj.planned_date else ""
        return f"Move them to {obj.version}{when}"


class ReleaseShipForm(forms.Form):
    """Confirming a ship, and where the defects still planned for it but not fixed go."""

    move_unfixed_to = _ReleaseChoiceField(
        label="Defects planned for this release but not fixed",
        required=False,
        queryset=None,
        empty_label="Drop their plan (no new estimate)",
    )
    reason = forms.CharField(
        label="Reason to ship although the tag lacks some marked fixes", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label="I confirm this release has shipped to customers",
        error_messages={"required": "Tick the box to confirm the release has shipped."},
    )

    def __init__(self, *args, releases: QuerySet[Release], **kwargs):
        """`releases`: where the unfixed defects may go (releases.services.releases.later_planned_releases)."""
        super().__init__(*args, **kwargs)
        self.fields["move_unfixed_to"].queryset = releases


class ReportFilterForm(forms.Form):
    customer = forms.ModelChoiceField(
        label="Customer", required=False, queryset=None, empty_label="Every customer",
        widget=LongSelect(label_field="name"),
    )

    def __init__(self, *args, customers: QuerySet[Customer], **kwargs):
        """`customers`: the ones the release concerns (releases.selectors.release_affected_customers)."""
        super().__init__(*args, **kwargs)
        # Only the customers this release concerns, so the list stays short; they can
        # still be hundreds, hence options drawn by one macro (LongSelect).
        self.fields["customer"].queryset = customers

    def offer(self, customers: list[tuple[int, str]]) -> None:
        """Offer these (id, name) pairs, already read (the report page reads them to page its customers)."""
        field = self.fields["customer"]
        field.widget.offer([("", field.empty_label), *customers])

    def selected_customer(self) -> Customer | None:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("customer")
