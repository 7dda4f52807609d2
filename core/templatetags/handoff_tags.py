from django import template

from core.markdown import render_markdown
from core.paths import path_of

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.filter(name="path")
def path_filter(pk, view_name: str) -> str:
    """`{{ ticket.pk|path:"tickets:detail" }}`: the object's path, without a reverse per row."""
    return path_of(view_name, pk)
