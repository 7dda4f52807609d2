import pytest
from django import forms

from core.widgets import LongSelect, SuggestInput


class ColourForm(forms.Form):
    colour = forms.ChoiceField(
        choices=[("", "Any"), ("r", "Red"), ("b", "<b>Blue</b>")], widget=LongSelect, required=True
    )


def test_a_long_select_renders_every_option_and_marks_the_chosen_one():
    html = str(ColourForm({"colour": "r"})["colour"])

    assert html.startswith("<select") and 'name="colour"' in html
    assert 'id="id_colour"' in html and "required" in html
    assert '<option value="">Any</option>' in html
    assert '<option value="r" selected>Red</option>' in html
    assert '<option value="b">&lt;b&gt;Blue&lt;/b&gt;</option>' in html


def test_a_long_select_submits_like_a_plain_select():
    form = ColourForm({"colour": "b"})
    assert form.is_valid()
    assert form.cleaned_data["colour"] == "b"


def test_a_long_select_can_read_labels_straight_from_a_field(db):
    from tickets.models import Customer

    class CustomerForm(forms.Form):
        customer = forms.ModelChoiceField(
            queryset=Customer.objects.order_by("name"), required=False, empty_label="Any customer",
            widget=LongSelect(label_field="name"),
        )

    acme = Customer.objects.create(name="Acme & Sons")
    Customer.objects.create(name="Globex")
    html = str(CustomerForm({"customer": acme.pk})["customer"])

    assert '<option value="">Any customer</option>' in html
    assert f'<option value="{acme.pk}" selected>Acme &amp; Sons</option>' in html
    assert ">Globex</option>" in html
    assert CustomerForm({"customer": acme.pk}).is_valid()


class LookupForm(forms.Form):
    who = forms.CharField(required=False, widget=SuggestInput(attrs={"placeholder": "Anyone"}, suggest_url="/who/"))


def test_a_suggest_input_is_a_text_input_whose_datalist_htmx_fills():
    html = str(LookupForm({"who": 'Acme "Sons"'})["who"])

    assert html.startswith("<input") and 'type="text"' in html and 'name="who"' in html
    assert 'value="Acme &quot;Sons&quot;"' in html and 'placeholder="Anyone"' in html
    assert 'list="id_who-suggestions"' in html and '<datalist id="id_who-suggestions"></datalist>' in html
    assert 'hx-get="/who/"' in html and 'hx-target="#id_who-suggestions"' in html
    assert 'hx-trigger="input changed delay:200ms"' in html and 'autocomplete="off"' in html


def test_an_empty_suggest_input_has_no_value():
    assert "value=" not in str(LookupForm({})["who"])


def test_widgets_are_drawn_by_jinja2_and_the_admins_own_by_the_django_engine():
    from django.forms.renderers import get_default_renderer
    from django.template.backends.django import Template as DjangoTemplate
    from django.template.backends.jinja2 import Template as JinjaTemplate

    renderer = get_default_renderer()
    assert isinstance(renderer.get_template("django/forms/widgets/radio.html"), JinjaTemplate)
    # Django ships no Jinja2 copy of the admin's widgets: they still render, through its own engine.
    assert isinstance(renderer.get_template("admin/widgets/related_widget_wrapper.html"), DjangoTemplate)


def test_a_long_select_shows_offered_pairs_as_choices_would(monkeypatch):
    from django.forms import widgets as django_widgets

    pairs = [("", "Every customer"), (1, "Acme <Corp>"), (2, "Initech")]
    by_choices = LongSelect()
    by_choices.choices = pairs
    offered = LongSelect()
    # Offered pairs are shown as they are, without Django normalising each one first.
    monkeypatch.setattr(django_widgets, "normalize_choices", lambda *a, **k: pytest.fail("normalised"))
    offered.offer(pairs)
    assert offered.render("customer", "2") == by_choices.render("customer", "2")
    assert '<option value="2" selected>Initech</option>' in offered.render("customer", "2")
    assert "Acme &lt;Corp&gt;" in offered.render("customer", "")
