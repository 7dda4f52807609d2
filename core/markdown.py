"""User text is Markdown, rendered to HTML and then sanitised with nh3.

No script, event handler or javascript: URL survives; links get rel=noopener.
"""

import threading

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "table",
    "thead", "tbody", "tr", "th", "td", "del",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

# Building a Markdown parser loads its extensions, which costs more than most
# comments take to convert: one parser per thread (a parser is not thread-safe),
# reset between texts. The sanitiser's rules are built once and are read-only.
_local = threading.local()
_cleaner = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
)


def _parser() -> md.Markdown:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = md.Markdown(extensions=_EXTENSIONS)
    return parser


def render_markdown(text: str) -> SafeString:
    html = _parser().reset().convert(text or "")
    return mark_safe(_cleaner.clean(html))  # noqa: S308 - sanitised by nh3 just above
