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
