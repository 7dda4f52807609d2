import ast
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django import forms
from django.utils.safestring import SafeString

from core.widgets import DependentSelect, LongSelect, SuggestInput, time_tag

ROOT = Path(__file__).resolve().parents[2]


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


HOSTILE = "<script>alert('x')</script> & \"quoted\""
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;"


def test_each_widget_escapes_what_it_writes_as_django_would():
    select = LongSelect(attrs={"data-note": HOSTILE, "disabled": True, "hidden": False, "title": None})
    select.offer([("", "Any"), ('a"b', HOSTILE)])
    html = select.render("who", 'a"b', attrs={"id": "id_who"})
    # Valued attributes sorted, then bare ones; False and None leave one out (Django's flatatt).
    assert html.startswith(f'<select data-note="{ESCAPED}" id="id_who" name="who" disabled>')
    assert f'<option value="a&quot;b" selected>{ESCAPED}</option>' in html and "hidden" not in html

    moment = time_tag(datetime(2026, 12, 4, 19, 26, tzinfo=UTC))
    assert isinstance(moment, SafeString)
    assert moment == ('<time datetime="2026-12-04T19:26:00+00:00" title="Friday 4 December 2026, 19:26:00 UTC">'
                      "4 Dec 2026, 19:26</time>")
    assert time_tag(None) == "" and time_tag(date(2026, 12, 4)).endswith(">4 Dec 2026</time>")


def test_a_dependent_select_names_each_options_parent(db):
    from tickets.models import Contact, Customer

    class ContactForm(forms.Form):
        contact = forms.ModelChoiceField(
            queryset=Contact.objects.order_by("pk"), required=False, widget=DependentSelect(depends_on="customer"),
        )

    customer = Customer.objects.create(name="Acme")
    ann = Contact.objects.create(customer=customer, name=HOSTILE, email="ann@example.com")
    form = ContactForm({"contact": ann.pk})
    form.fields["contact"].widget.offer([("", "---------", ""), (ann.pk, str(ann), customer.pk)])
    html = str(form["contact"])
    assert 'data-depends-on="customer"' in html and '<option value="">---------</option>' in html
    assert f'<option value="{ann.pk}" data-parent="{customer.pk}" selected>' in html
    assert ESCAPED in html and "<script>" not in html


# HTML elements a page writes. Markup belongs in templates: a module that writes one of these
# in a string builds HTML in Python. Docstrings may name them.
ELEMENTS = (
    "a|b|br|button|code|datalist|details|div|em|fieldset|form|h[1-6]|i|img|input|label|legend|li|mark|nav|"
    "ol|option|p|pre|script|section|select|small|span|strong|summary|table|tbody|td|textarea|th|thead|time|"
    "tr|ul"
)
MARKUP = re.compile(rf"</?(?:{ELEMENTS})(?:[\s>/]|$)")
APPS = ("core", "defects", "sync", "tickets", "enhancements", "releases", "portal", "handoff")


def _strings_with_markup(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        and MARKUP.search(node.value)
    ]


def test_no_module_writes_html_in_a_python_string():
    found = [hit for app in APPS for path in sorted((ROOT / app).rglob("*.py"))
             if "migrations" not in path.parts for hit in _strings_with_markup(path)]
    assert not found, "Write markup in a template (templates/jinja2/ for a hot one):\n" + "\n".join(found)


def test_the_scan_finds_markup_in_strings_but_not_in_docstrings(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "widget.py"
    module.write_text(
        '"""Writes a <select>."""\n'
        "def draw(key, label):\n"
        '    """One <option> a choice."""\n'
        "    return f'<option value=\"{key}\">{label}</option>' + '<br>'\n"
        "PATTERN = '<version>' + 'Token <key>'\n"
    )
    assert [hit.split(": ", 1)[0] for hit in _strings_with_markup(module)] == ["widget.py:4"] * 3
