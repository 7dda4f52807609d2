"""Forms of the sync pages. They shape input; the services decide the rules."""

from django import forms

from defects.models import Defect


class LinkTrackerForm(forms.Form):
    """Link a defect to an existing issue in one of `connections` (sync.selectors.connection_list)."""

    connection = forms.ModelChoiceField(queryset=None, label="Tracker")
    reference = forms.CharField(
        label="Issue key or URL", max_length=500,
        help_text=(
            "For example HD-12, https://example.atlassian.net/browse/HD-12, acme/billing#7 or a Redmine issue URL."
        ),
    )

    def __init__(self, *args, defect: Defect, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        team_connection = getattr(defect.team, "connection_id", None)
        if team_connection:
            self.fields["connection"].initial = team_connection
