"""The defect list's filter form. The queue's forms, and the defect page's, are in defects/forms_triage.py.

Filter forms offer the catalogues a selector has read (defects.selectors.defect_catalogues)
and validate against them: they read nothing themselves.
"""

from django import forms
from django.db.models import QuerySet

from core.forms import FieldGroupsMixin
from core.widgets import LongSelect
from defects.models import Defect
from defects.selectors import Catalogues, search_defects
from defects.severity import Severity

UNROUTED = "unrouted"


class CatalogueChoiceField(forms.TypedChoiceField):
    """One of a catalogue's (id, name) pairs, cleaned to its id; refused as a ModelChoiceField refuses."""

    default_error_messages = {
        "invalid_choice": "Select a valid choice. That choice is not one of the available choices.",
    }

    def __init__(self, *, empty_label: str, **kwargs):
        self.empty_label = empty_label
        super().__init__(coerce=int, empty_value=None, **kwargs)

    def offer(self, pairs: list[tuple[int, str]]) -> None:
        self.choices = [("", self.empty_label), *pairs]


class DefectFilterForm(FieldGroupsMixin, forms.Form):
    """The defect list's filters. Invalid values are reported and ignored."""

    q = forms.CharField(
        label="Search", required=False, max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Key or words", "type": "search"}),
    )
    # LongSelect: options drawn by one macro, not through a template each (see core/widgets.py).
    team = forms.ChoiceField(label="Team", required=False, widget=LongSelect)
    severity = forms.ChoiceField(
        label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices], widget=LongSelect
    )
    status = forms.ChoiceField(
        label="Engineering status", required=False, choices=[("", "Any status"), *Defect.Status.choices],
        widget=LongSelect,
    )
    product = CatalogueChoiceField(label="Product", required=False, empty_label="Any product", widget=LongSelect)

    def __init__(self, *args, catalogues: Catalogues, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogues = catalogues
        self.fields["team"].choices = [("", "Any team"), (UNROUTED, "Unrouted"), *catalogues.teams]
        self.fields["product"].offer(catalogues.products)

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
            qs = qs.filter(product_id=data["product"])
        if data.get("q"):
            qs = search_defects(qs, data["q"])
        return qs

    def searched(self) -> bool:
        """Whether apply() searched for text (a text search costs more to count)."""
        return bool(getattr(self, "cleaned_data", {}).get("q"))
