"""Rendering forms: every shown field of a form in one template, for the busiest pages; the account forms."""

from django import forms
from django.utils.safestring import SafeString

from core.jinja2 import render_fragment


class FieldGroupsMixin:
    """`{{ form.field_groups }}`: every shown field as tickets/_field.html would write it.

    Through templates/jinja2/core/field_groups.html: the same HTML as Django's own
    field group, which costs three templates a field (the include, the field group and
    its label), ten times over on the queue's filters.
    """

    # Fields the page shows elsewhere (or not at all), e.g. the bulk form's selected rows.
    not_grouped: tuple[str, ...] = ()

    def field_groups(self) -> SafeString:
        fields = [field for field in self if field.name not in self.not_grouped]
        return render_fragment("core/field_groups.html", {"fields": fields})


class TokenForm(forms.Form):
    """A new API token's name (/account/tokens/)."""

    name = forms.CharField(max_length=100, help_text="A label to tell your tokens apart, e.g. “build server”.")
