"""The defect list's and the queue's forms: fields written in one template as Django would, catalogues read once."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.forms import FieldGroupsMixin
from core.jinja2 import render_fragment
from defects.forms import DefectFilterForm
from defects.forms_triage import (
    BulkActionForm,
    CommentForm,
    DefectEditForm,
    QueueFilterForm,
    TransitionForm,
)
from defects.selectors import (
    bulk_action_choices,
    defect_catalogues,
    planned_release_list,
    product_release_list,
    team_list,
)
from tickets.forms import TicketStatusForm

pytestmark = pytest.mark.django_db


def django_field_group(field) -> str:
    """What tickets/_field.html renders through Django's templates."""
    from django.template.loader import render_to_string

    return render_to_string("tickets/_field.html", {"field": field})


def field_group(field) -> str:
    """What `form.field_groups` writes for `field` alone (templates/jinja2/core/field_groups.html)."""
    return render_fragment("core/field_groups.html", {"fields": [field]})


def same_html(html: str) -> str:
    """`html` with its blank runs cut: Django's Jinja2 widget templates (core.forms.WidgetRenderer)
    leave out some of the line breaks between tags that its Django ones write."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def forms_to_compare(engineer, product, component, release, defect):
    catalogues = defect_catalogues()
    yield DefectFilterForm(catalogues=catalogues)
    yield DefectFilterForm({"team": "nonsense", "severity": "S9", "product": str(product.pk)}, catalogues=catalogues)
    mine = defect_catalogues(user=engineer, components=True)
    yield QueueFilterForm(QueueFilterForm.defaults(), catalogues=mine)
    yield QueueFilterForm({"team": "", "status": "nope", "component": str(component.pk)}, catalogues=mine)
    bulk = BulkActionForm(auto_id="bulk_%s", choices=bulk_action_choices())
    bulk.offer_releases(planned_release_list(product_ids=[product.pk]))
    yield bulk
    yield BulkActionForm(
        {"action": "assign_team", "reason": "<b>x</b>"}, auto_id="bulk_%s", choices=bulk_action_choices()
    )
    # The defect page's triage forms (help text, a release select, radio buttons) and the ticket's status.
    yield TransitionForm(defect=defect)
    yield TransitionForm({"to": "nowhere"}, defect=defect)
    releases = product_release_list(product_id=defect.product_id)
    yield DefectEditForm(defect=defect, releases=releases, teams=team_list())
    yield DefectEditForm(
        {"severity": "S9", "planned_release": "0"}, defect=defect, releases=releases, teams=team_list()
    )
    yield CommentForm(on_ticket=False)
    yield CommentForm({"body": ""}, on_ticket=True)
    yield TicketStatusForm(initial={"status": "open"})


def test_each_field_is_written_as_django_writes_it_with_or_without_errors(
    engineer, agent, ticket, product, component, release
):
    from tests.factories import escalate

    defect = escalate(ticket, agent)
    seen_errors = 0
    for form in forms_to_compare(engineer, product, component, release, defect):
        form.is_bound and form.is_valid()
        for field in form:
            seen_errors += bool(field.errors)
            assert same_html(field_group(field)) == same_html(django_field_group(field)), field.name
    # The invalid filters and the incomplete bulk action took the path with errors beside the fields.
    assert seen_errors >= 8


def test_the_edit_form_offers_the_products_releases_from_one_plain_read(agent, ticket, product, release):
    from releases.models import Release
    from tests.factories import escalate

    shipped = Release.objects.create(product=product, version="2.3.0")
    Release.objects.filter(pk=shipped.pk).update(status=Release.Status.RELEASED, released_at="2026-01-05T10:00:00Z")
    defect = escalate(ticket, agent)
    form = DefectEditForm(defect=defect, releases=product_release_list(product_id=defect.product_id), teams=team_list())
    with CaptureQueriesContext(connection) as queries:
        planned, fixed = str(form["planned_release"]), str(form["fixed_in_release"])
    # The releases were read with the form; writing the two selects reads nothing (no cursor each).
    assert len(queries) == 0
    assert f'<option value="{release.pk}">Billing 2.4.0</option>' in planned and "2.3.0" not in planned
    assert f'<option value="{shipped.pk}">Billing 2.3.0 (released)</option>' in fixed


def test_the_bulk_form_leaves_the_selection_to_the_rows(engineer):
    html = BulkActionForm(auto_id="bulk_%s", choices=bulk_action_choices()).field_groups()
    assert 'id="bulk_action"' in html and 'id="bulk_reason"' in html
    assert 'name="defects"' not in html


def test_the_queue_reads_the_teams_once_and_knows_mine_from_that_read(engineer, team, other_team):
    with CaptureQueriesContext(connection) as queries:
        form = QueueFilterForm(QueueFilterForm.defaults(), catalogues=defect_catalogues(user=engineer, components=True))
        html = form.field_groups()
    # Teams (with mine), products and components: each read once, and the selects written from them.
    assert len(queries) == 3
    assert sum('FROM "defects_team"' in q["sql"] for q in queries.captured_queries) == 1
    assert '<select id="id_component" name="component">' in html
    assert form.catalogues.my_team_ids == [team.pk]
    assert [name for _pk, name in form.catalogues.teams] == sorted([team.name, other_team.name])

    bulk = BulkActionForm(auto_id="bulk_%s", choices=bulk_action_choices())
    bulk.offer_teams(form.catalogues.teams)
    with CaptureQueriesContext(connection) as queries:
        html = str(bulk["team"])
    assert len(queries) == 0
    assert f'<option value="{other_team.pk}">{other_team.name}</option>' in html
    assert html.startswith('<select id="bulk_team" name="team"><option value="" selected>—</option>')


def test_the_queue_page_reads_each_catalogue_once(as_user, engineer, make_ticket, agent):
    from tests.factories import escalate

    escalate(make_ticket(), agent)
    with CaptureQueriesContext(connection) as queries:
        response = as_user(engineer).get("/defects/queue/")
    assert response.status_code == 200
    team_reads = [q["sql"] for q in queries.captured_queries if 'FROM "defects_team"' in q["sql"]]
    assert len(team_reads) == 1, team_reads


@pytest.mark.parametrize("value", ["shared", None, "nothing"])
@pytest.mark.parametrize("attrs", [{}, {"id": "x", "required": True, "aria-invalid": "true"}, {"class": "choices"}])
def test_radio_buttons_are_written_as_djangos_radio_select_writes_them(value, attrs):
    from django import forms

    class VisibilityForm(FieldGroupsMixin, forms.Form):
        visibility = forms.ChoiceField(
            label="Who sees it", widget=forms.RadioSelect(attrs=attrs),
            choices=[("shared", "Shared <everyone>"), ("internal", "Internal & mine"), (3, "Three")],
        )

    form = VisibilityForm(initial={"visibility": value})
    assert same_html(form.field_groups()) == same_html(django_field_group(form["visibility"]))
    bound = VisibilityForm({"visibility": value} if value else {})
    bound.is_valid()
    assert same_html(bound.field_groups()) == same_html(django_field_group(bound["visibility"]))


def test_the_comment_form_is_written_as_with_djangos_radio_select(engineer):
    form = CommentForm(on_ticket=True)
    ours = field_group(form["visibility"])
    assert 'type="radio"' in ours and "<fieldset" in ours and "<legend>Who sees it:</legend>" in ours
    assert same_html(ours) == same_html(django_field_group(form["visibility"]))


def test_queue_rows_name_their_product_component_and_team_from_the_forms_catalogues(
    as_user, engineer, make_ticket, agent, component
):
    from defects.models import Defect
    from tests.factories import escalate

    defect = escalate(make_ticket(), agent)
    Defect.objects.filter(pk=defect.pk).update(component=component)
    with CaptureQueriesContext(connection) as queries:
        html = as_user(engineer).get("/defects/queue/").content.decode()
    row = html.split(f'<tr id="row-{defect.key}">', 1)[1].split("</tr>", 1)[0]
    assert f"{defect.product.name} / {component.name} · {defect.team.name}" in row
    rows_read = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "defects_defect"."id"')]
    assert len(rows_read) == 1
    assert "tickets_product" not in rows_read[0] and "defects_team" not in rows_read[0]
    assert "tickets_component" not in rows_read[0]


def test_defect_list_rows_name_their_product_and_team_from_the_forms_catalogues(client, agent, make_ticket):
    from tests.factories import escalate

    defect = escalate(make_ticket(), agent)
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/defects/").content.decode()
    assert f"<td>{defect.product.name}</td>" in html and f"<td>{defect.team.name}</td>" in html
    rows_read = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "defects_defect"."id"')]
    assert len(rows_read) == 1
    assert "tickets_product" not in rows_read[0] and "defects_team" not in rows_read[0]
