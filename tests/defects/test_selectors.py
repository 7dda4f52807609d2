"""The defect pages' reads: catalogues read once and rows named from them, references, threads."""

import pytest
from django.utils import timezone

from defects.forms import DefectFilterForm
from defects.forms_triage import DefectEditForm
from defects.models import Defect, TicketDefectLink
from defects.selectors import (
    defect_by_reference,
    defect_catalogues,
    defect_thread_list,
    first_linked_tickets,
    product_release_list,
    team_list,
    tracker_connection_active,
)
from tests.factories import escalate, link

pytestmark = pytest.mark.django_db


def test_the_queue_catalogues_know_my_teams_and_name_rows_without_joins(engineer, team, other_team, product, component):
    catalogues = defect_catalogues(user=engineer, components=True)
    assert catalogues.my_team_ids == [team.pk]
    rows = [{"product_id": product.pk, "team_id": other_team.pk, "component_id": component.pk}]
    catalogues.name_rows(rows)
    assert rows[0] == {
        "product_id": product.pk, "team_id": other_team.pk, "component_id": component.pk,
        "product_name": product.name, "team_name": other_team.name, "component_name": component.name,
    }


def test_the_list_catalogues_read_no_components_and_no_teams_of_mine(django_assert_num_queries, team):
    with django_assert_num_queries(2):
        catalogues = defect_catalogues()
    assert catalogues.components == [] and catalogues.my_team_ids == []


def test_a_filter_form_refuses_a_product_it_was_not_offered_as_a_model_choice_would(product):
    form = DefectFilterForm({"product": str(product.pk + 1000)}, catalogues=defect_catalogues())
    assert not form.is_valid()
    assert form.errors["product"] == ["Select a valid choice. That choice is not one of the available choices."]
    assert DefectFilterForm({"product": str(product.pk)}, catalogues=defect_catalogues()).is_valid()


def test_a_defect_is_found_by_its_key_in_any_case_or_by_its_id(agent, ticket):
    from tests.factories import escalate

    defect = escalate(ticket, agent)
    assert defect_by_reference(defect.key.lower()) == defect
    assert defect_by_reference(f" {defect.pk} ") == defect
    assert defect_by_reference("²") is None and defect_by_reference("") is None


def test_the_edit_form_checks_releases_against_those_it_offers(agent, ticket, release, django_assert_num_queries):
    from tests.factories import escalate

    defect = escalate(ticket, agent)
    releases = product_release_list(product_id=defect.product_id)
    with django_assert_num_queries(0):
        data = {"severity": defect.severity, "planned_release": str(release.pk)}
        form = DefectEditForm(data, defect=defect, releases=releases, teams=team_list())
        assert form.is_valid(), form.errors
    assert form.cleaned_data["planned_release"] == release
    data = {"severity": defect.severity, "planned_release": "99999"}
    refused = DefectEditForm(data, defect=defect, releases=releases, teams=team_list())
    assert not refused.is_valid() and "planned_release" in refused.errors


def test_the_page_thread_takes_one_query(agent, engineer, ticket, django_assert_num_queries):
    from defects.services.comments import comment_add
    from tests.factories import escalate

    defect = escalate(ticket, agent)
    for i in range(3):
        comment_add(actor=engineer, channel="web", defect=defect, body=f"e{i}", visibility="shared")
        comment_add(actor=agent, channel="web", ticket=ticket, body=f"a{i}", visibility="shared")
    with django_assert_num_queries(1):
        thread = defect_thread_list(defect=defect, user=engineer).comments
        assert [c.author.username for c in thread]
        assert {c.ticket.number for c in thread if c.ticket_id} == {ticket.number}


def test_a_long_thread_is_read_a_page_at_a_time_newest_page_first(agent, engineer, ticket, monkeypatch,
                                                                  django_assert_num_queries):
    from defects import selectors
    from defects.services.comments import comment_add
    from tests.factories import escalate

    monkeypatch.setattr(selectors, "THREAD_SHOWN", 2)
    defect = escalate(ticket, agent)
    for i in range(5):
        comment_add(actor=engineer, channel="web", defect=defect, body=f"c{i}", visibility="shared")

    def bodies(page: int) -> tuple[list[str], bool]:
        with django_assert_num_queries(1):
            window = defect_thread_list(defect=defect, user=engineer, page=page)
        return [c.body for c in window.comments], window.earlier

    # Oldest first within a page; the first page holds the newest.
    assert bodies(1) == (["c3", "c4"], True)
    assert bodies(2) == (["c1", "c2"], True)
    assert bodies(3) == (["c0"], False)
    assert bodies(4) == ([], False)


def test_linking_to_a_tracker_is_offered_only_while_a_connection_is_active():
    from sync.models import Connection

    assert not tracker_connection_active()
    Connection.objects.create(
        name="Jira", kind="jira", base_url="https://jira.example.com", token="t", project="HD",
        enabled=True, paused=False,
    )
    assert tracker_connection_active()
    Connection.objects.update(paused=True)
    assert not tracker_connection_active()
    assert Defect.objects.count() == 0


def test_first_linked_tickets_names_each_defects_oldest_links_up_to_the_limit(
    make_ticket, agent, django_assert_num_queries
):
    first = make_ticket(subject="first")
    busy = escalate(first, agent)
    later = [make_ticket(subject=f"later {i}") for i in range(4)]
    for ticket in later:
        link(ticket, busy, agent)
    # The last link made is dated oldest: the order is the links' time, then their id.
    TicketDefectLink.objects.filter(ticket=later[-1]).update(linked_at=timezone.now() - timezone.timedelta(days=3))
    alone = make_ticket(subject="alone")
    quiet = escalate(alone, agent)

    with django_assert_num_queries(1):
        first_tickets = first_linked_tickets([busy.pk, quiet.pk, busy.pk + quiet.pk + 100], 3)

    assert first_tickets[busy.pk] == [(t.pk, t.number) for t in (later[-1], first, later[0])]
    assert first_tickets[quiet.pk] == [(alone.pk, alone.number)]
    assert set(first_tickets) == {busy.pk, quiet.pk}
    assert first_linked_tickets([], 3) == {}
