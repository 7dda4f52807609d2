"""The "link to an existing tracker issue" card on a defect page, and safe links to twins."""

from django import template

from sync.models import Connection
from core import roles
from core.safe_urls import external_link

register = template.Library()


@register.inclusion_tag("sync/_link_existing.html", takes_context=True)
def link_tracker_panel(context, defect) -> dict:
    """Shown to engineers and managers while some connection is active."""
    user = context.get("user")
    show = roles.can_work_defects(user) and Connection.objects.filter(enabled=True, paused=False).exists()
    return {"defect": defect, "show": show}


@register.filter
def external_href(url) -> str:
    """The URL when it is a plain http(s) link, else "" (render the text without a link).

    Checked again here although it was checked when stored: rows stored before the
    check, or written by other means, must not become a `javascript:` href.
    """
    return external_link(url)
