"""User text is Markdown, rendered to HTML and then sanitised with nh3.

No script, event handler or javascript: URL survives; links get rel=noopener.
"""

import threading
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from core.mentions import MAX_MENTIONS, MENTION

_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "table",
    "thead", "tbody", "tr", "th", "td", "del", "span",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# A span keeps one class, the mention's; any other class (or attribute) is dropped.
_CLASSES = {"span": {"mention"}}


class _MentionProcessor(InlineProcessor):
    """`@alice` as <span class="mention">@alice</span> (core.mentions.MENTION)."""

    def handleMatch(self, m, data):  # noqa: N802 - Markdown's method name
        element = etree.Element("span")
        element.set("class", "mention")
        # Atomic: the name is not read again as Markdown (its underscores, a second mention).
        element.text = AtomicString(m.group(0))
        # Read back by mentioned_names: who is told is who is drawn.
        drawn = getattr(self.md, "mentions", None)
        if drawn is not None:
            drawn.append(m.group(1))
        return element, m.start(0), m.end(0)


class _Mentions(Extension):
    def extendMarkdown(self, md_instance):  # noqa: N802 - Markdown's method name
        # After code spans, escapes, links and autolinks (priorities 190 to 110), so a name
        # in code or in a link's address stays as written; before emphasis, so the
        # underscores of a name are not read as emphasis.
        md_instance.inlinePatterns.register(_MentionProcessor(MENTION.pattern, md_instance), "mention", 105)


_EXTENSIONS = ["fenced_code", "tables", "sane_lists", _Mentions()]

# Building a Markdown parser loads its extensions, which costs more than most
# comments take to convert: one parser per thread (a parser is not thread-safe),
# reset between texts. The sanitiser's rules are built once and are read-only.
_local = threading.local()
_cleaner = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    allowed_classes=_CLASSES,
    link_rel="noopener noreferrer nofollow",
)


def _parser() -> md.Markdown:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = md.Markdown(extensions=_EXTENSIONS)
    return parser


# The same text always makes the same HTML, so a page's description and comments are
# converted once per process, not on every view: up to this many texts of up to
# KEPT_LENGTH characters (a few MB at most).
KEPT_TEXTS = 1024
KEPT_LENGTH = 4000


def _render(text: str) -> str:
    parser = _parser().reset()
    parser.mentions = None  # only mentioned_names collects them
    return _cleaner.clean(parser.convert(text))


_render_kept = lru_cache(maxsize=KEPT_TEXTS)(_render)


def render_markdown(text: str) -> SafeString:
    text = text or ""
    html = _render_kept(text) if len(text) <= KEPT_LENGTH else _render(text)
    return mark_safe(html)  # noqa: S308 - sanitised by nh3 in _render


def mentioned_names(text: str) -> list[str]:
    """The usernames `text` mentions, lower-cased, each once, in order; at most MAX_MENTIONS.

    The names _MentionProcessor drew while converting `text`: exactly those shown as
    mentions, never one in a code span or block (fenced, indented or double-backticked)
    nor in a link's address.
    """
    parser = _parser().reset()
    parser.mentions = []
    parser.convert(text or "")
    names: list[str] = []
    for name in (drawn.lower() for drawn in parser.mentions):
        if name not in names:
            names.append(name)
            if len(names) == MAX_MENTIONS:
                break
    return names
