"""Rendering the defect pages' forms: a field's label and widget written in Python.

Each field through tickets/_field.html costs three templates (the include, Django's
field group and its label): about 0.4 ms a field, 4 ms for the queue's ten fields.
"""

from html import escape

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def field_group(field: forms.BoundField) -> str:
    """What tickets/_field.html writes for `field`: <div class="field"><label>Label:</label> help text widget</div>.

    A field with errors, with a fieldset or without an id goes through Django's own
    field group, so errors stay beside their fields as on every page.
    """
    form, widget = field.form, field.field.widget
    if field.errors or widget.use_fieldset or not field.auto_id or widget.attrs.get("id") or hasattr(
        form, "required_css_class"
    ):
        return f'<div class="field{" has-error" if field.errors else ""}">{field.as_field_group()}</div>'
    label = ""
    if field.label:
        text = str(conditional_escape(field.label))
        suffix = field.field.label_suffix if field.field.label_suffix is not None else form.label_suffix
        if suffix and text[-1] not in ":?.!":
            text += escape(str(suffix))
        for_id = widget.id_for_label(field.auto_id)
        label = f'<label for="{escape(for_id)}">{text}</label>\n' if for_id else f"<label>{text}</label>\n"
    # Help text as Django writes it: trusted text from the form, not escaped.
    help_text = f'<div class="helptext" id="{escape(field.auto_id)}_helptext">{field.help_text}</div>\n' if field.help_text else ""
    return f'<div class="field">{label}{help_text}{field.as_widget()}</div>'


class FieldGroupsMixin:
    """`{{ form.field_groups }}`: every shown field as tickets/_field.html would write it."""

    # Fields the page shows elsewhere (or not at all), e.g. the bulk form's selected rows.
    not_grouped: tuple[str, ...] = ()

    def field_groups(self) -> SafeString:
        return mark_safe("\n".join(field_group(field) for field in self if field.name not in self.not_grouped))
