"""GET /api/defects/ writes its rows from values (defects.api.rows): the same JSON as the serializers write."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from defects.api.serializers import DefectSerializer
from defects.models import Defect
from releases.models import Release
from tests.factories import escalate

pytestmark = pytest.mark.django_db


def test_each_row_is_what_the_serializer_writes_of_the_defect(api, agent, engineer, make_ticket, product, component,
                                                             team, release):
    bare = escalate(make_ticket(subject="Unrouted"), agent, title="Nothing set")
    Defect.objects.filter(pk=bare.pk).update(team=None, component=None)
    planned = escalate(make_ticket(subject="Planned"), agent, title="Planned fix", component=component)
    Release.objects.filter(pk=release.pk).update(planned_date=date(2027, 3, 1))
    shipped = Release.objects.create(product=product, version="2.3.1", status=Release.Status.RELEASED,
                                     released_at=timezone.now() - timedelta(days=2))
    Defect.objects.filter(pk=planned.pk).update(team=team, planned_release=release, fixed_in_release=shipped)
    client = api(engineer)

    rows = {row["id"]: row for row in client.get("/api/defects/", {"page_size": 200}).json()["results"]}

    for defect in (bare, planned):
        # The defect's own page is written by the serializers, field by field from model instances.
        whole = client.get(f"/api/defects/{defect.pk}/").json()
        assert rows[defect.pk] == {name: whole[name] for name in DefectSerializer.Meta.fields}, defect.title
    assert rows[bare.pk]["team"] is None and rows[bare.pk]["planned_release"] is None
    assert rows[planned.pk]["planned_release"]["planned_date"] == "2027-03-01"
    assert rows[planned.pk]["fixed_in_release"]["released_at"].endswith("Z")
    assert rows[planned.pk]["component_name"] == component.name and rows[planned.pk]["team_name"] == team.name

    second = client.get("/api/defects/", {"page_size": 1, "page": 2}).json()["results"]
    assert second == list(client.get("/api/defects/", {"page_size": 200}).json()["results"])[1:2]
