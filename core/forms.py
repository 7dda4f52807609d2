"""Rendering forms: every shown field of a form in one template, for the busiest pages; the account forms."""

from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property
from django.utils.safestring import SafeString

from core.jinja2 import render_fragment
from core.models import Preference, SavedView
from core.preferences import TIME_ZONES
from core.widgets import LongSelect


class WidgetRenderer(Jinja2):
    """Form widgets drawn by Jinja2 from the copies of its widget templates Django ships for it.

    The same HTML but for blank lines, in a third of the time: a ticket page's comment
    form took 1.7 ms through the Django engine's nested widget templates. A template
    Django has no Jinja2 copy of (the admin's own widgets) is drawn by the Django
    engine, as before.
    """

    @cached_property
    def django(self):
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)


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


class SavedViewForm(forms.Form):
    """Save the list's current filters and sort under a name (templates/core/_saved_views.html)."""

    list = forms.ChoiceField(label="List", choices=SavedView.List.choices, widget=forms.HiddenInput)
    query = forms.CharField(label="Filters", required=False, max_length=4000, widget=forms.HiddenInput)
    name = forms.CharField(label="Name", max_length=SavedView._meta.get_field("name").max_length)
    shared = forms.BooleanField(label="Share with everyone", required=False)


class PreferenceForm(forms.Form):
    """How notification emails come, and the time zone dates are shown in (/account/preferences/)."""

    digest = forms.ChoiceField(label="Notification emails", choices=Preference.Digest.choices, widget=forms.RadioSelect)
    time_zone = forms.ChoiceField(
        label="Time zone", required=False,
        choices=[("", f"The portal's ({settings.TIME_ZONE})"), *((zone, zone) for zone in TIME_ZONES)],
        widget=LongSelect,
        help_text="Dates and times are shown in it; hover over one to see it to the second.",
    )
