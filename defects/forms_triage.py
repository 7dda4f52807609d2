"""Forms engineers and agents use to triage: queue filters, bulk actions, status, edits and comments.

Forms only shape input; the services in defects.services decide and their
ValidationErrors are put back beside the fields (`apply_errors`).
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.http import QueryDict

from core.form_tokens import form_token_new
from core.forms import FieldGroupsMixin
from core.widgets import LongSelect
from defects.forms import CatalogueChoiceField, DefectFilterForm
from defects.models import Comment, Defect, Team
from defects.selectors import BulkChoices, Catalogues, defect_by_reference
from defects.services.transitions import manual_transitions
from defects.severity import Severity
from releases.models import Release

MINE = "mine"
OPEN = "open"


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors beside the form's fields (others on the form)."""
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class ReleaseChoiceField(forms.ModelChoiceField):
    """A release; once `offer`ed a list a selector has read, it offers and validates against that list alone."""

    offered: dict[int, Release] | None = None

    def label_from_instance(self, release: Release) -> str:
        when = f", planned {release.planned_date:%d %b %Y}" if release.planned_date else ""
        shipped = " (released)" if release.is_released else ""
        return f"{release.product.name} {release.version}{when}{shipped}"

    def offer(self, releases: list[Release]) -> None:
        # A plain list: a ModelChoiceField would iterate a server-side cursor.
        self.offered = {release.pk: release for release in releases}
        self.widget.choices = [("", self.empty_label), *[(r.pk, self.label_from_instance(r)) for r in releases]]

    def to_python(self, value):
        if self.offered is None or value in self.empty_values:
            return super().to_python(value)
        text = value.strip() if isinstance(value, str) else str(value)
        # isascii: "²" is a digit to isdigit() but not to int().
        found = self.offered.get(int(text)) if text.isascii() and text.isdigit() else None
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value},
            )
        return found


class QueueFilterForm(DefectFilterForm):
    """The defect list's filters plus component; by default my teams' open defects.

    Its catalogues are read for the user (defect_catalogues(user=..., components=True)),
    so "My teams" needs no read of its own.
    """

    component = CatalogueChoiceField(
        label="Component", required=False, empty_label="Any component", widget=LongSelect,
    )

    def __init__(self, *args, catalogues: Catalogues, **kwargs):
        super().__init__(*args, catalogues=catalogues, **kwargs)
        self.fields["team"].choices = [(MINE, "My teams"), *self.fields["team"].choices]
        self.fields["status"].choices = [(OPEN, "Open (not closed)"), *self.fields["status"].choices]
        self.fields["component"].offer(catalogues.components)

    @staticmethod
    def defaults() -> dict:
        return {"team": MINE, "status": OPEN}

    @classmethod
    def data_for(cls, query: QueryDict) -> QueryDict:
        """The query the form reads: `query` itself once it sets a filter; otherwise the defaults,
        with its sort and page kept (a sorted or second page of the default queue stays my teams' open defects)."""
        if any(name in query for name in cls.base_fields):
            return query
        data = query.copy()
        data.update(cls.defaults())
        return data

    def apply(self, qs: QuerySet[Defect]) -> QuerySet[Defect]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        team, status = data.get("team"), data.get("status")
        if team == MINE:
            # The ids read with the teams, so the planner sees literal team ids and
            # reads the per-team triage-order index instead of joining a subquery.
            team_ids = self.catalogues.my_team_ids
            qs = qs.filter(team_id__in=team_ids) if team_ids else qs.none()
            data["team"] = ""
        if status == OPEN:
            qs = qs.filter(status__in=Defect.OPEN_STATUSES)
            data["status"] = ""
        if data.get("component"):
            qs = qs.filter(component_id=data["component"])
        qs = super().apply(qs)
        data["team"], data["status"] = team, status
        return qs


class IdsField(forms.ModelMultipleChoiceField):
    """Rows picked by their ids; an id too large for the column is "not one of the choices".

    Django looks each list of ids up with `pk IN (...)`, which SQLite cannot bind
    (OverflowError, a 500) for an id beyond 64 bits, such as a 25-digit one posted by hand.
    """

    def _check_values(self, value):
        pk = self.queryset.model._meta.pk
        low, high = connections[self.queryset.db].ops.integer_field_range(pk.get_internal_type())
        for item in value if isinstance(value, list | tuple) else ():
            text = item.strip() if isinstance(item, str) else ""
            if text.lstrip("-").isascii() and text.lstrip("-").isdigit() and not low <= int(text) <= high:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text[:30]},
                )
        return super()._check_values(value)


class BulkActionForm(FieldGroupsMixin, forms.Form):
    """What to do to the selected rows of the queue."""

    # The rows' own checkboxes select the defects.
    not_grouped = ("defects",)

    ACTIONS = [
        ("assign_team", "Assign team"),
        ("set_planned_release", "Set planned release"),
        ("change_status", "Change status"),
    ]

    defects = IdsField(queryset=None, error_messages={
        "required": "Select at least one defect.",
    })
    action = forms.ChoiceField(label="Action", choices=ACTIONS, widget=LongSelect)
    team = forms.ModelChoiceField(
        label="Team", required=False, queryset=None, empty_label="—",
        widget=LongSelect(label_field="name"),
    )
    planned_release = ReleaseChoiceField(
        label="Planned release (an estimate)", required=False, empty_label="—",
        queryset=None, widget=LongSelect,
    )
    to = forms.ChoiceField(
        label="New status", required=False,
        choices=[
            ("", "—"),
            *[(value, label) for value, label in Defect.Status.choices if value != Defect.Status.RELEASED],
        ],
        widget=LongSelect,
    )
    reason = forms.CharField(label="Reason", required=False, widget=forms.TextInput)

    NEEDS = {"assign_team": "team", "set_planned_release": "planned_release", "change_status": "to"}
    # The fields each action uses: the page shows only the chosen action's (static/js/bulk-actions.js).
    ACTION_FIELDS = {
        "assign_team": ["team"], "set_planned_release": ["planned_release"], "change_status": ["to", "reason"],
    }

    @property
    def action_fields_json(self) -> str:
        return json.dumps(self.ACTION_FIELDS)

    def __init__(self, *args, choices: BulkChoices, **kwargs):
        """`choices`: defects.selectors.bulk_action_choices() (read only when a posted action is checked)."""
        super().__init__(*args, **kwargs)
        self.fields["defects"].queryset = choices.defects
        self.fields["team"].queryset = choices.teams
        self.fields["planned_release"].queryset = choices.planned_releases

    def offer_teams(self, teams: list[tuple[str, str]]) -> None:
        """Offer these (id, name) pairs, already read for the filter form, instead of reading them again."""
        field = self.fields["team"]
        field.widget.choices = [("", field.empty_label), *teams]

    def offer_releases(self, releases: list[Release]) -> None:
        """Offer these planned releases (defects.selectors.planned_release_list: the page's products' own)."""
        self.fields["planned_release"].offer(releases)

    def clean(self):
        data = super().clean()
        needed = self.NEEDS.get(data.get("action"))
        if needed and not data.get(needed):
            self.add_error(needed, "Choose a value for this action.")
        return data


class TransitionForm(FieldGroupsMixin, forms.Form):
    """Move the defect to one of the statuses the state machine allows now."""

    to = forms.ChoiceField(label="Move to", widget=LongSelect)
    reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for needs information (your question), won't fix and cannot reproduce.",
    )
    duplicate_of = forms.CharField(
        label="Duplicate of", required=False, help_text="The original's key, e.g. DEF-12 (for duplicate only).",
    )

    def __init__(self, *args, defect: Defect, **kwargs):
        super().__init__(*args, **kwargs)
        self.defect = defect
        self.fields["to"].choices = manual_transitions(defect)
        if Defect.Status.FIXED in dict(self.fields["to"].choices) and not (
            defect.fixed_in_release_id or defect.planned_release_id
        ):
            self.fields["to"].help_text = "Fixed needs its release: set the planned or fixed-in release first."

    def clean_duplicate_of(self) -> Defect | None:
        value = self.cleaned_data["duplicate_of"].strip().upper()
        if not value:
            return None
        found = defect_by_reference(value)
        if found is None:
            raise ValidationError(f"There is no defect {value}.")
        return found


class DefectEditForm(FieldGroupsMixin, forms.Form):
    """Severity (with a reason shown to the help desk), team, planned and fixed-in release."""

    # LongSelect: options drawn by one macro (core/widgets.py), not through a template each.
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices, widget=LongSelect)
    severity_reason = forms.CharField(
        label="Why this severity", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when you change the severity; the help desk sees it.",
    )
    team = forms.ModelChoiceField(
        label="Team", required=False, queryset=None, empty_label="Unrouted",
        widget=LongSelect(label_field="name"),
    )
    planned_release = ReleaseChoiceField(
        label="Planned release", required=False, queryset=None, empty_label="Not planned",
        help_text="An estimate, never a promise.", widget=LongSelect,
    )
    fixed_in_release = ReleaseChoiceField(
        label="Fixed in release", required=False, queryset=None, empty_label="Not fixed",
        widget=LongSelect,
    )

    def __init__(self, *args, defect: Defect, releases: list[Release], teams: QuerySet[Team], **kwargs):
        """`releases`: the defect's product's releases (defects.selectors.product_release_list);
        `teams`: defects.selectors.team_list()."""
        initial = {
            "severity": defect.severity, "severity_reason": defect.severity_reason, "team": defect.team_id,
            "planned_release": defect.planned_release_id, "fixed_in_release": defect.fixed_in_release_id,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["team"].queryset = teams
        # Both selects offered and checked from one plain read of the product's releases.
        self.fields["planned_release"].offer([r for r in releases if r.status == Release.Status.PLANNED])
        self.fields["fixed_in_release"].offer(releases)

    def changes(self) -> dict:
        """Only what the user changed: absent keys stay as they are."""
        changed = {name: self.cleaned_data[name] for name in self.changed_data}
        if "severity" in changed:
            changed["severity_reason"] = self.cleaned_data["severity_reason"]
        return changed


class CommentForm(FieldGroupsMixin, forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown.")
    visibility = forms.ChoiceField(label="Who sees it", widget=forms.RadioSelect, initial=Comment.Visibility.SHARED)
    # One comment per form shown, however often it is sent (core.form_tokens); written by the template.
    form_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    not_grouped = ("form_token",)

    def __init__(self, *args, on_ticket: bool, to_customer: bool = False, **kwargs):
        """`to_customer`: the help desk on a ticket may also reply to the customer (the portal shows it)."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", form_token_new())
        if on_ticket:
            choices = [("shared", "Share with engineering"), ("internal", "Internal to my side")]
            if to_customer:
                choices.append(("customer", "Reply to the customer (shown in the customer portal)"))
        else:
            choices = [("shared", "Shared with the help desk"), ("internal", "Internal to my side")]
        self.fields["visibility"].choices = choices
