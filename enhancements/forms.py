"""Forms of the request pages: they check input shapes; the services hold the rules."""

from django import forms

from core.ids import MAX_ID
from defects.forms_triage import IdsField
from defects.severity import Impact, Urgency
from enhancements.models import EnhancementRequest, TicketRequestLink
from tickets.models import Component


class SendRequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    problem = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="The customer's problem or goal")
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Current workaround")
    component = forms.ModelChoiceField(queryset=Component.objects.none(), required=False, label="Area")
    importance = forms.ChoiceField(choices=TicketRequestLink.Importance.choices, label="How much it matters")

    def __init__(self, ticket, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["component"].queryset = Component.objects.filter(product_id=ticket.product_id)
        if not self.is_bound:
            self.initial.setdefault("title", ticket.subject)
            self.initial.setdefault("problem", ticket.description)
            self.initial.setdefault("component", ticket.component_id)


class JoinRequestForm(forms.Form):
    request = forms.ModelChoiceField(queryset=EnhancementRequest.objects.all())
    importance = forms.ChoiceField(choices=TicketRequestLink.Importance.choices)


def _id_field(**kwargs) -> forms.IntegerField:
    """An optional id: one too large for a bigint is an error of the form, not of the database (SQLite
    cannot even bind it)."""
    return forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


class QueueFilterForm(forms.Form):
    product = _id_field(widget=forms.Select)
    component = _id_field(widget=forms.Select)
    status = forms.ChoiceField(choices=[("", "Any status"), *EnhancementRequest.Status.choices], required=False)
    # The product team's requests (the dashboard's counts link here).
    team = _id_field(widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=EnhancementRequest.Status.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    target_release = _id_field(widget=forms.Select)
    release = _id_field(widget=forms.Select)
    duplicate_of = _id_field(label="Duplicate of (request id)")


class BulkForm(forms.Form):
    requests = IdsField(queryset=EnhancementRequest.objects.all())
    to = forms.ChoiceField(choices=[("", "Keep status"), *EnhancementRequest.Status.choices], required=False)
    target_release = _id_field()
    reason = forms.CharField(required=False)
    duplicate_of = _id_field(label="Merge into (request id)")


class ConvertDefectForm(forms.Form):
    reason = forms.CharField(max_length=2000)
    importance = forms.ChoiceField(choices=TicketRequestLink.Importance.choices, initial="important")


class SendToTrackerForm(forms.Form):
    """Send a request to a tracker by hand: one of `connections` (sync.selectors.request_sync_state's sendable)."""

    connection = forms.ModelChoiceField(queryset=None, label="Tracker")

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections


class ConvertRequestForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Why")
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.SINGLE_USER)
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.DEGRADED)
