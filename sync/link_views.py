"""The page where an engineer links a defect to an existing tracker issue."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from defects.models import Defect
from sync.models import Connection
from sync.services.link_existing import defect_link_existing
from core import roles
from core.decorators import role_required
from core.models import Channel


class LinkTrackerForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=Connection.objects.none(), label="Tracker")
    reference = forms.CharField(
        label="Issue key or URL", max_length=500,
        help_text='For example HD-12, https://example.atlassian.net/browse/HD-12, acme/billing#7 or a Redmine issue URL.',
    )

    def __init__(self, *args, defect: Defect, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = Connection.objects.filter(enabled=True, paused=False).order_by("name")
        team_connection = getattr(defect.team, "connection_id", None)
        if team_connection:
            self.fields["connection"].initial = team_connection


@role_required(roles.can_work_defects)
def link_existing(request: HttpRequest, pk: int) -> HttpResponse:
    defect = get_object_or_404(Defect.objects.select_related("team"), pk=pk)
    form = LinkTrackerForm(request.POST or None, defect=defect)
    if request.method == "POST" and form.is_valid():
        try:
            twin = defect_link_existing(
                defect=defect, connection=form.cleaned_data["connection"],
                reference=form.cleaned_data["reference"], actor=request.user, channel=Channel.WEB,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{defect.key} is now linked to {twin.key} in {twin.connection.name}.")
            return redirect("defects:detail", pk=defect.pk)
    return render(request, "sync/link_existing.html", {"defect": defect, "form": form})
