"""The Jinja2 environment of the few hot fragments under templates/jinja2/.

A fragment drawn many times a page (the triage queue's rows, the ticket list's rows,
a release report's fixes, customers and requests, the filter forms' fields) costs the Django template engine
about as much per `{{ value }}` as the rest of its row; Jinja2 compiles a template to
Python and draws it nearly as fast as hand-written strings. Autoescaping is on
(handoff/settings.py).
"""

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import SafeString
from jinja2 import Environment

from core.fragments import ENGINE, django_quotes
from core.safe_urls import external_link
from core.widgets import time_tag


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update({"url": reverse, "static": static})
    # A tracker's link is data: only a plain http(s) URL becomes an href ("" otherwise).
    env.filters["external_link"] = external_link
    # Dates as every Django template shows them (core/templatetags/handoff_tags.py's `when`).
    env.filters["when"] = time_tag
    return env


def render_fragment(template_name: str, context: dict) -> SafeString:
    """A Jinja2 fragment, ready for a Django template's `{{ }}`.

    Marked safe because the engine escaped every value as it wrote it: the settings
    turn autoescaping on, and tests/core/test_jinja2.py checks that hostile values
    come out escaped in each fragment.
    """
    return django_quotes(render_to_string(template_name, context, using=ENGINE))
