from django import template

from core.markdown import render_markdown
from core.paths import path_of
from core.widgets import time_tag

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.filter(name="path")
def path_filter(pk, view_name: str) -> str:
    """`{{ ticket.pk|path:"tickets:detail" }}`: the object's path, without a reverse per row."""
    return path_of(view_name, pk)


@register.filter(name="when")
def when_filter(value, style: str = ""):
    """`{{ ticket.created_at|when }}`: "4 Dec 2026, 19:26" in the reader's time zone, exact on hover;
    `|when:"day"` for the day alone. The one way pages show a date or a moment."""
    return time_tag(value, style)


@register.inclusion_tag("core/_page_nav.html", takes_context=True)
def page_nav(context, page, param: str = "page", anchor: str = "", label: str = "Pages") -> dict:
    """`{% page_nav fixes "fixes" "defects-heading" "Pages of the fixes" %}`: Previous / Page n of m / Next.

    For a page of a list that has its own query parameter, so that two lists on one
    page move apart ({% querystring %} takes its parameter's name only as a literal).
    The other parameters of the request are kept.
    """
    def url(number: int) -> str:
        query = context["request"].GET.copy()
        query[param] = number
        return f"?{query.urlencode()}{'#' + anchor if anchor else ''}"

    return {
        "page": page,
        "label": label,
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }
