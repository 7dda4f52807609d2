"""The defect list's and the queue's forms: fields written in Python as Django would, catalogues read once."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defects.forms import field_group
from defects.forms_triage import BulkActionForm, QueueFilterForm
from defects.views import DefectFilterForm

pytestmark = pytest.mark.django_db


def django_field_group(field) -> str:
    """What tickets/_field.html renders through Django's templates."""
    from django.template.loader import render_to_string

    return render_to_string("tickets/_field.html", {"field": field})


def same_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "> <", html)).strip()


def forms_to_compare(engineer, product, component, release):
    yield DefectFilterForm()
    yield DefectFilterForm({"team": "nonsense", "severity": "S9", "product": str(product.pk)})
    yield QueueFilterForm(QueueFilterForm.defaults(), user=engineer)
    yield QueueFilterForm({"team": "", "status": "nope", "component": str(component.pk)}, user=engineer)
    bulk = BulkActionForm(auto_id="bulk_%s")
    bulk.offer_releases_of([product.pk])
    yield bulk
    yield BulkActionForm({"action": "assign_team", "reason": "<b>x</b>"}, auto_id="bulk_%s")


def test_each_field_is_written_as_django_writes_it_with_or_without_errors(engineer, product, component, release):
    seen_errors = 0
    for form in forms_to_compare(engineer, product, component, release):
        form.is_bound and form.is_valid()
        for field in form:
            seen_errors += bool(field.errors)
            assert same_html(field_group(field)) == same_html(django_field_group(field)), field.name
    # The invalid filters and the incomplete bulk action took the path with errors beside the fields.
    assert seen_errors >= 4


def test_the_bulk_form_leaves_the_selection_to_the_rows(engineer):
    html = BulkActionForm(auto_id="bulk_%s").field_groups()
    assert 'id="bulk_action"' in html and 'id="bulk_reason"' in html
    assert 'name="defects"' not in html


def test_the_queue_reads_the_teams_once_and_knows_mine_from_that_read(engineer, team, other_team):
    with CaptureQueriesContext(connection) as queries:
        form = QueueFilterForm(QueueFilterForm.defaults(), user=engineer)
    assert len(queries) == 1
    assert form.my_team_ids == [team.pk]
    assert [name for _pk, name in form.teams] == sorted([team.name, other_team.name])

    bulk = BulkActionForm(auto_id="bulk_%s")
    bulk.offer_teams(form.teams)
    with CaptureQueriesContext(connection) as queries:
        html = str(bulk["team"])
    assert len(queries) == 0
    assert f'<option value="{other_team.pk}">{other_team.name}</option>' in html
    assert html.startswith('<select id="bulk_team" name="team"><option value="" selected>—</option>')


def test_the_queue_page_reads_each_catalogue_once(as_user, engineer, make_ticket, agent):
    from tests.triage import escalate

    escalate(make_ticket(), agent)
    with CaptureQueriesContext(connection) as queries:
        response = as_user(engineer).get("/defects/queue/")
    assert response.status_code == 200
    team_reads = [q["sql"] for q in queries.captured_queries if 'FROM "defects_team"' in q["sql"]]
    assert len(team_reads) == 1, team_reads
