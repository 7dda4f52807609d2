"""GET /api/tickets/ writes its rows from values (tickets.api.rows): the same JSON as the serializers write."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from defects.models import TicketDefectLink
from enhancements.models import EnhancementRequest, TicketRequestLink
from releases.models import Release
from tests.factories import add_twin, connect, escalate, link, request_from
from tickets.api.serializers import TicketSerializer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets_in_every_state(make_ticket, agent, product, release):
    """Tickets that between them fill every field a row writes."""
    plain = make_ticket(subject="Nothing escalated")
    Ticket.objects.filter(pk=plain.pk).update(assignee=agent)

    planned = make_ticket(subject="Planned fix")
    defect = escalate(planned, agent)
    Release.objects.filter(pk=release.pk).update(planned_date=date(2027, 3, 1))
    defect.planned_release = release
    defect.save()
    jira = connect(name="Jira", kind="jira", base_url="https://jira.example", token="t", project="BILL")
    redmine = connect(name="Redmine", kind="redmine", base_url="https://redmine.example", token="t", project="b")
    add_twin(defect, redmine, key="#12", url="javascript:alert(1)")
    add_twin(defect, jira, key="BILL-7", url="https://jira.example/browse/BILL-7")

    # Linked to two defects: the newer one is current; both are listed, the newest first.
    shipped = Release.objects.create(product=product, version="2.3.1", status=Release.Status.RELEASED,
                                      released_at=timezone.now() - timedelta(days=2))
    twice = make_ticket(subject="Two defects")
    link(twice, defect, agent)
    newer = escalate(make_ticket(subject="Another"), agent, title="Second problem")
    # A ticket has one open defect at a time: the second link is written as an import would.
    TicketDefectLink.objects.create(ticket=twice, defect=newer, linked_at=timezone.now() + timedelta(minutes=1))
    newer.fixed_in_release = shipped
    newer.save()

    asked = make_ticket(subject="Wants a feature")
    first = request_from(asked, agent, title="First ask")
    second = request_from(make_ticket(subject="Other"), agent, title="Second ask")
    TicketRequestLink.objects.create(
        ticket=asked, request=second, customer=asked.customer, importance="blocks_deal",
        linked_at=timezone.now() + timedelta(minutes=1),
    )
    EnhancementRequest.objects.filter(pk=second.pk).update(status="planned", target_release=release)
    EnhancementRequest.objects.filter(pk=first.pk).update(status="declined", decline_reason="Out of scope")
    return [plain, planned, twice, asked]


def test_each_row_is_what_the_serializer_writes_of_the_ticket(api, agent, tickets_in_every_state):
    client = api(agent)
    rows = {row["id"]: row for row in client.get("/api/tickets/", {"page_size": 200}).json()["results"]}

    for ticket in tickets_in_every_state:
        # The ticket's own page is written by the serializers, field by field from model instances.
        whole = client.get(f"/api/tickets/{ticket.pk}/").json()
        assert rows[ticket.pk] == {name: whole[name] for name in TicketSerializer.Meta.fields}, ticket.subject

    plain, planned, twice, asked = (rows[t.pk] for t in tickets_in_every_state)
    assert plain["assignee"] == agent.pk and plain["defects"] == [] and plain["enhancement_request"] is None
    assert planned["planned_release"]["planned_date"] == "2027-03-01"
    assert [(t["tracker"], t["url"]) for t in planned["defects"][0]["trackers"]] == [
        ("Jira", "https://jira.example/browse/BILL-7"), ("Redmine", None),
    ]
    assert [d["key"] for d in twice["defects"]][0] != planned["defects"][0]["key"]
    assert twice["fixed_in_release"]["released_at"].endswith("Z")
    assert asked["enhancement_request"]["importance"] == "blocks_deal"
    assert asked["enhancement_request"]["note"] == "Planned for 2.4.0 (estimate, not a promise)"


def test_rows_on_a_later_page_are_written_the_same(api, agent, tickets_in_every_state):
    client = api(agent)
    everything = client.get("/api/tickets/", {"page_size": 200}).json()["results"]
    second = client.get("/api/tickets/", {"page_size": 2, "page": 2}).json()["results"]
    assert second == everything[2:4]
