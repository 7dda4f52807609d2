"""Where each synced value came from: the portal's pushes and the tracker's changes, on the page and the API."""

import json

import pytest

from core.models import Channel
from defects.services.changes import defect_update
from sync.models import Connection, FieldSource, SyncConflict
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests import factories
from tests.querycount import get_query_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced_defect(connection, ticket, agent, tracker):
    defect = factories.synced_defect(factories.escalate, ticket, agent)
    connection_poll(connection=connection)
    return defect


def source(defect, field) -> FieldSource:
    return FieldSource.objects.get(twin__defect=defect, field=field)


def test_a_pushed_value_names_the_person_and_channel_that_set_it(synced_defect, engineer, connection):
    defect_update(defect=synced_defect, actor=engineer, channel=Channel.API, title="Export times out on big files")
    outbox_drain()

    title = source(synced_defect, "title")
    assert (title.value, title.side, title.channel) == ("Export times out on big files", "portal", "api")
    assert title.actor == (engineer.get_full_name() or engineer.username)
    assert source(synced_defect, "status").side == "portal"  # the create carried it


def test_a_polled_tracker_change_is_recorded_as_the_trackers_through_a_poll(synced_defect, connection, tracker):
    tracker.edit(tracker.only_issue().id, status="Doing")

    connection_poll(connection=connection)

    status = source(synced_defect, "status")
    assert (status.value, status.side, status.channel, status.actor) == ("Doing", "tracker", "poll", "fake-tracker")


def test_a_webhook_change_keeps_its_delivery_id(
    client, synced_defect, connection, tracker, django_capture_on_commit_callbacks
):
    Connection.objects.filter(pk=connection.pk).update(webhook_secret="hook-secret")
    tracker.edit(tracker.only_issue().id, priority="P1")
    body = json.dumps({"issue": tracker.only_issue().id}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/hooks/{connection.pk}/", data=body, content_type="application/json",
            HTTP_X_DELIVERY="delivery-42", HTTP_X_SIGNATURE=factories.hmac_signature("hook-secret", body),
        )

    assert response.status_code == 202
    priority = source(synced_defect, "priority")
    assert (priority.side, priority.channel, priority.delivery_id) == ("tracker", "webhook", "delivery-42")


def test_the_api_lists_each_field_and_the_conflicts_with_how_they_were_settled(
    api, agent, synced_defect, connection, tracker
):
    tracker.edit(tracker.only_issue().id, status="Doing")
    connection_poll(connection=connection)
    SyncConflict.objects.create(
        defect=synced_defect, connection=connection, field="priority", portal_value="P2", tracker_value="P4",
        winner="portal",
    )

    body = api(agent).get(f"/api/defects/{synced_defect.pk}/sync/").json()

    twin = body["twins"][0]
    assert twin["tracker"] == "fake-tracker"
    assert twin["sources"]["status"]["value"] == "Doing"
    assert twin["sources"]["status"]["side"] == "tracker" and twin["sources"]["status"]["via"] == "poll"
    assert twin["sources"]["title"]["side"] == "portal"
    assert body["conflicts"][0]["winner"] == "portal"
    assert body["conflicts"][0]["settled"] == "The portal's value 'P2' was kept."


def test_the_api_costs_the_same_queries_with_many_conflicts(engineer, synced_defect, connection):
    url = f"/api/defects/{synced_defect.pk}/sync/"
    few = get_query_count(engineer, url)
    for n in range(20):
        SyncConflict.objects.create(defect=synced_defect, connection=connection, field="title",
                                    portal_value=f"a{n}", tracker_value="b", winner="portal")
    assert get_query_count(engineer, url) == few


def test_the_defect_page_shows_the_table(client, engineer, synced_defect, connection, tracker):
    tracker.edit(tracker.only_issue().id, status="Doing")
    connection_poll(connection=connection)
    client.force_login(engineer)

    html = client.get(f"/defects/{synced_defect.pk}/").content.decode()

    assert "Where each value in" in html
    assert "Doing" in html and "poll" in html


def test_an_outsider_cannot_read_the_sources(api, outsider, synced_defect):
    assert api(outsider).get(f"/api/defects/{synced_defect.pk}/sync/").status_code in (401, 403)
