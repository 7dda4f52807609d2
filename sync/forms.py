"""Forms of the sync pages. They shape input; the services decide the rules."""

from django import forms

from defects.models import Defect
from sync.models import Connection


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


class ConnectionForm(forms.Form):
    """A connection's settings. The token and webhook secret are write-only: never rendered back,
    and left empty on edit they keep the stored values (sync.services.connections checks the rest)."""

    name = forms.CharField(max_length=60)
    kind = forms.ChoiceField(choices=Connection.Kind.choices)
    base_url = forms.CharField(label="Tracker URL", max_length=300)
    project = forms.CharField(max_length=100, help_text="Project key or identifier; owner/name on GitHub.")
    request_type = forms.CharField(
        label="Enhancement requests as", required=False, max_length=100,
        help_text="The Jira issue type (Story), the GitHub or GitLab label (enhancement), or the Redmine "
        "tracker's name or id (Feature) of requests sent here. Empty uses the default.",
    )
    token = forms.CharField(
        label="API token", required=False, max_length=300,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    webhook_secret = forms.CharField(
        required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["token"].help_text = "Leave empty to keep the stored token."
            self.fields["webhook_secret"].help_text = "Leave empty to keep the stored secret."

    def values(self) -> dict:
        """The values for connection_create/connection_update; empty secrets are left out."""
        values = dict(self.cleaned_data)
        if not values.get("webhook_secret"):
            values.pop("webhook_secret", None)
        return values


class MapForm(forms.Form):
    """One tracker name per portal status (or severity), starting from what the connection uses now.

    Only the names that differ from the kind's defaults are stored; build_config
    (through the connection service) validates the whole map.
    """

    def __init__(self, *args, keys: list[tuple[str, str]], current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in keys:
            self.fields[key] = forms.CharField(label=label, max_length=100, initial=current.get(key, ""))
