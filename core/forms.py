"""Rendering forms: a field's label and widget written in Python, for the busiest pages.

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
    written_here = not widget.use_fieldset or isinstance(widget, RadioList)
    if field.errors or not written_here or not field.auto_id or widget.attrs.get("id") or hasattr(
        form, "required_css_class"
    ):
        return f'<div class="field{" has-error" if field.errors else ""}">{field.as_field_group()}</div>'
    label = ""
    if field.label:
        text = str(conditional_escape(field.label))
        suffix = field.field.label_suffix if field.field.label_suffix is not None else form.label_suffix
        if suffix and text[-1] not in ":?.!":
            text += escape(str(suffix))
        tag = "legend" if widget.use_fieldset else "label"
        for_id = widget.id_for_label(field.auto_id)
        label = f'<{tag} for="{escape(for_id)}">{text}</{tag}>\n' if for_id else f"<{tag}>{text}</{tag}>\n"
    # Help text as Django writes it: trusted text from the form, not escaped.
    help_text = f'<div class="helptext" id="{escape(field.auto_id)}_helptext">{field.help_text}</div>\n' if field.help_text else ""
    if widget.use_fieldset:
        described = f' aria-describedby="{escape(field.aria_describedby)}"' if field.aria_describedby else ""
        return f'<div class="field"><fieldset{described}>\n{label}{help_text}{field.as_widget()}</fieldset></div>'
    return f'<div class="field">{label}{help_text}{field.as_widget()}</div>'


def _attrs(attrs: dict) -> str:
    """Attributes in their order, as django/forms/attrs.html writes them (True: the bare name; False: left out)."""
    return "".join(f" {k}" if v is True else f' {k}="{escape(str(v))}"' for k, v in attrs.items() if v is not False)


class RadioList(forms.RadioSelect):
    """Radio buttons written in Python as Django's templates write them (three templates an option). Flat choices."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        list_id = attrs.get("id")
        selected = {str(v) for v in self.format_value(value)}
        options = []
        for index, (key, label) in enumerate(self.choices):
            key = str(key)
            option = {**attrs, "id": self.id_for_label(list_id, index)} if list_id else dict(attrs)
            if key in selected:
                option["checked"] = True
            for_id = f' for="{escape(option["id"])}"' if list_id else ""
            options.append(
                f'<div>\n    <label{for_id}><input type="radio" name="{escape(name)}" value="{escape(key)}"'
                f"{_attrs(option)}>\n {escape(str(label))}</label>\n\n</div>"
            )
        own = f' id="{escape(list_id)}"' if list_id else ""
        if attrs.get("class"):
            own += f' class="{escape(attrs["class"])}"'
        return mark_safe(f"<div{own}>{''.join(options)}\n</div>")


class FieldGroupsMixin:
    """`{{ form.field_groups }}`: every shown field as tickets/_field.html would write it."""

    # Fields the page shows elsewhere (or not at all), e.g. the bulk form's selected rows.
    not_grouped: tuple[str, ...] = ()

    def field_groups(self) -> SafeString:
        return mark_safe("\n".join(field_group(field) for field in self if field.name not in self.not_grouped))
