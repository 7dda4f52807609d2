"""Jinja2 output as the Django templates around it write it, and Jinja2 macros called from Python.

Kept apart from core/jinja2.py (the environment), so that the environment's filters may
draw through macros too without a circle of imports.
"""

from django.template import engines
from django.utils.safestring import SafeString, mark_safe

ENGINE = "jinja2"


def django_quotes(html: str) -> SafeString:
    """Jinja2's escaped output marked safe for a Django template's `{{ }}`, quotes as Django escapes them.

    Jinja2 writes &#34; and &#39;, Django &quot; and &#x27;: the same characters to a browser,
    and the same text as the Django templates around the fragment. Once over the whole output,
    rather than a second escape function per value, which would cost more than the rest of it.
    """
    # str() first: Markup's own replace() would escape its arguments.
    return mark_safe(str(html).replace("&#34;", "&quot;").replace("&#39;", "&#x27;"))


def macro(template_name: str, name: str):
    """The macro `name` of a template under templates/jinja2/, as a function returning escaped markup.

    The engine keeps the template compiled, and the template keeps its module, so a call costs
    the macro alone: less than Django's format_html for a <time>.
    """
    return getattr(engines[ENGINE].env.get_template(template_name).module, name)
