"""Form widgets that stay fast with thousands of choices, and the <time> element every page uses.

Their markup is in templates/jinja2/core/widgets.html, as macros called from here.
"""

from datetime import date, datetime

from django import forms
from django.utils.safestring import SafeString

from core.dates import format_day, format_exact, format_moment, machine_value
from core.fragments import django_quotes, macro

WIDGETS = "core/widgets.html"


def _attributes(attrs: dict) -> tuple[list[tuple[str, object]], list[str]]:
    """A widget's attributes as Django's flatatt orders them: (name, value) pairs sorted, then the
    names of those set to True, sorted. False and None leave an attribute out."""
    valued = sorted((name, value) for name, value in attrs.items() if not isinstance(value, bool) and value is not None)
    return valued, sorted(name for name, value in attrs.items() if value is True)


class LongSelect(forms.Select):
    """A plain <select> drawn by one Jinja2 macro, for choice lists with thousands of entries.

    Django renders every option through its own template: unnoticeable for ten
    options, about a second of CPU for the 2,000 customers of a real help desk,
    on every page that shows the filter. One loop of one macro (core/widgets.html)
    draws them in a few milliseconds. Flat choices only (no groups).
    """

    def __init__(self, attrs=None, choices=(), *, label_field: str | None = None):
        super().__init__(attrs, choices)
        # For a ModelChoiceField: read (pk, label_field) pairs instead of building
        # a model instance per option; the label must then be that field's value.
        self.label_field = label_field

    # (value, label) pairs given by offer(), shown as they are.
    offered = None

    def offer(self, pairs) -> None:
        """Show these (value, label) pairs, already read: set as `choices`, Django would first
        normalise each of them (1.6 ms for a report's 700 customers)."""
        self.offered = list(pairs)

    def _pairs(self):
        if self.offered is not None:
            yield from self.offered
            return
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None or self.label_field is None:
            yield from self.choices
            return
        if self.choices.field.empty_label is not None:
            yield "", self.choices.field.empty_label
        yield from queryset.values_list("pk", self.label_field)

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        options = [(str(key), label) for key, label in self._pairs()]
        return django_quotes(macro(WIDGETS, "select")(*_attributes(final_attrs), options, selected))


class DependentSelect(LongSelect):
    """A <select> whose options belong to a choice made in another field of the form.

    Its options are offer()ed as (value, label, parent) triples, read as values: each
    option carries its parent's id (`data-parent`, none for ""), and the select names
    the field it depends on (`data-depends-on`). static/js/dependent-choices.js then
    offers only the options of the parent chosen, and none before a parent is chosen.
    The form still checks on the server that the pair fits: this only spares the user
    the wrong choices.
    """

    def __init__(self, attrs=None, *, depends_on: str):
        super().__init__(attrs)
        self.depends_on = depends_on

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs.update({"name": name, "data-depends-on": self.depends_on})
        options = [(str(key), label, str(parent)) for key, label, parent in self.offered or ()]
        return django_quotes(macro(WIDGETS, "dependent_select")(*_attributes(final_attrs), options, selected))


class SuggestInput(forms.TextInput):
    """A text input whose suggestions come from the server as the user types.

    For choices too many to list (2,000 customers): the page carries an empty
    <datalist>, and htmx fills it from `suggest_url` (given the input's value
    under the input's name) a moment after each keystroke. Without JavaScript
    it is a plain text input. The field decides what a typed value means.
    """

    def __init__(self, attrs=None, *, suggest_url: str):
        super().__init__(attrs)
        self.suggest_url = suggest_url

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        list_id = f"{final_attrs.get('id') or name}-suggestions"
        final_attrs.update({
            "type": self.input_type,
            "name": name,
            "list": list_id,
            "autocomplete": "off",
            "hx-get": str(self.suggest_url),
            "hx-trigger": "input changed delay:200ms",
            "hx-target": f"#{list_id}",
            "hx-swap": "innerHTML",
            "hx-sync": "this:replace",
        })
        value = self.format_value(value)
        if value:
            final_attrs["value"] = value
        return django_quotes(macro(WIDGETS, "suggest_input")(*_attributes(final_attrs), list_id))


def time_tag(value: date | datetime | None, style: str = "") -> SafeString | str:
    """`<time datetime=... title=...>4 Dec 2026, 19:26</time>`: one style everywhere, the exact moment on hover.

    A moment is shown to the minute ("day" for the day alone) in the reader's time zone;
    a date shows its day. None and "" give "" (so a template's `|default:"—"` applies).
    """
    if value in (None, ""):
        return ""
    if isinstance(value, datetime) and style != "day":
        text = format_moment(value)
    else:
        text = format_day(value)
    return django_quotes(macro(WIDGETS, "time_tag")(machine_value(value), format_exact(value), text))
