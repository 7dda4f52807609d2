"""The "link to an existing tracker issue" card on a defect page, and safe links to twins."""

from django import template

from core.safe_urls import external_link

register = template.Library()


@register.inclusion_tag("sync/_link_existing.html")
def link_tracker_panel(defect, show) -> dict:
    """Shown when the view says so: to engineers and managers while some connection is active."""
    return {"defect": defect, "show": bool(show)}


@register.filter
def external_href(url) -> str:
    """The URL when it is a plain http(s) link, else "" (render the text without a link).

    Checked again here although it was checked when stored: rows stored before the
    check, or written by other means, must not become a `javascript:` href.
    """
    return external_link(url)
