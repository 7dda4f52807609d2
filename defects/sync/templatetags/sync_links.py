"""The "link to an existing tracker issue" card on a defect page."""

from django import template

from defects.sync.models import Connection
from handoff import roles

register = template.Library()


@register.inclusion_tag("sync/_link_existing.html", takes_context=True)
def link_tracker_panel(context, defect) -> dict:
    """Shown to engineers and managers while some connection is active."""
    user = context.get("user")
    show = roles.can_work_defects(user) and Connection.objects.filter(enabled=True, paused=False).exists()
    return {"defect": defect, "show": show}
