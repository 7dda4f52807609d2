"""The page where an engineer links a defect to an existing tracker issue."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core import roles
from core.decorators import role_required
from core.models import Channel
from defects.models import Defect
from sync.forms import LinkTrackerForm
from sync.selectors import connection_list
from sync.services.link_existing import defect_link_existing


@role_required(roles.can_work_defects)
def link_existing(request: HttpRequest, pk: int) -> HttpResponse:
    defect = get_object_or_404(Defect.objects.select_related("team"), pk=pk)
    form = LinkTrackerForm(request.POST or None, defect=defect, connections=connection_list(active=True))
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
