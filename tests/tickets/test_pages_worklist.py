"""The ticket list as a work list: sorting, last update and waiting, My tickets, saved views, bulk actions."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.jinja2 import render_fragment
from core.models import AuditEntry, Channel
from core.saved_views import saved_view_save
from tests.factories import escalate
from tests.querycount import page_query_count
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db
LIST = reverse("tickets:list")
BULK = reverse("tickets:bulk")


def subjects(response) -> list[str]:
    return re.findall(r'<td><a href="/tickets/\d+/">([^<]+)</a></td>', response.content.decode())


def age(ticket: Ticket, **delta) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(**delta))


def row_of(html: str, text: str) -> str:
    return next(row for row in html.split("<tr>") if text in row)


# Sorting


def test_the_list_sorts_by_subject_status_and_last_update_both_ways(client, agent, make_ticket):
    banana, apple, cherry = (make_ticket(subject=s) for s in ("Banana", "Apple", "Cherry"))
    Ticket.objects.filter(pk=apple.pk).update(status="open")
    age(banana, days=3)
    age(cherry, days=1)
    client.force_login(agent)

    assert subjects(client.get(LIST)) == ["Cherry", "Apple", "Banana"]  # newest first
    assert subjects(client.get(LIST, {"sort": "subject"})) == ["Apple", "Banana", "Cherry"]
    assert subjects(client.get(LIST, {"sort": "-subject"})) == ["Cherry", "Banana", "Apple"]
    # By the status's name (New before Open), then oldest first.
    assert subjects(client.get(LIST, {"sort": "status"})) == ["Banana", "Cherry", "Apple"]
    assert subjects(client.get(LIST, {"sort": "updated"})) == ["Banana", "Cherry", "Apple"]  # longest waiting
    assert subjects(client.get(LIST, {"sort": "created"})) == ["Banana", "Apple", "Cherry"]


def test_an_unknown_sort_key_is_ignored(client, agent, make_ticket):
    for subject in ("First", "Second"):
        make_ticket(subject=subject)
    client.force_login(agent)
    for sort in ("customer__name", "-password", "subject;--"):
        response = client.get(LIST, {"sort": sort})
        assert response.status_code == 200 and subjects(response) == ["Second", "First"]


def test_each_sortable_header_links_to_the_list_sorted_by_it_keeping_the_filters(client, agent, make_ticket):
    make_ticket()
    client.force_login(agent)

    html = client.get(LIST, {"status": "new", "sort": "subject", "page": "1"}).content.decode()

    sorted_header = '<th scope="col" aria-sort="ascending"><a class="sort-link" href="?status=new&amp;sort=-subject">'
    assert f"{sorted_header}Subject" in html
    assert '<a class="sort-link" href="?status=new&amp;sort=updated">Last updated</a>' in html
    assert '<th scope="col">Customer</th>' in html
    # Filtering again keeps the order.
    assert '<input type="hidden" name="sort" value="subject">' in html


def test_a_sorted_list_pages_in_that_order(client, agent, make_ticket):
    for n in range(51):
        make_ticket(subject=f"Ticket {n:02d}")
    client.force_login(agent)

    second = client.get(LIST, {"sort": "subject", "page": 2})

    assert subjects(second) == ["Ticket 50"]
    assert 'href="?sort=subject&amp;page=1"' in second.content.decode()


# Last update and waiting


def test_a_ticket_waiting_longer_than_its_tiers_limit_says_so(client, agent, make_ticket, customer, other_customer):
    Customer.objects.filter(pk=customer.pk).update(tier=Customer.Tier.STRATEGIC)
    strategic = make_ticket(subject="Strategic, two days")
    standard = make_ticket(subject="Standard, two days", customer=other_customer)
    on_the_customer = make_ticket(subject="Awaiting the customer")
    Ticket.objects.filter(pk=on_the_customer.pk).update(status=Ticket.Status.AWAITING_CUSTOMER)
    fresh = make_ticket(subject="Fresh")
    for ticket in (strategic, standard, on_the_customer):
        age(ticket, days=2, hours=1)
    client.force_login(agent)

    html = client.get(LIST).content.decode()

    waiting = row_of(html, strategic.subject)
    assert '<span class="waiting" title="Strategic customers expect an update within 1 day">Waiting <time' in waiting
    assert ">2\xa0days</time>" in waiting  # timesince's no-break space
    assert '<span class="waiting"' not in row_of(html, standard.subject)
    assert ">2\xa0days ago</time>" in row_of(html, standard.subject)
    assert '<span class="waiting"' not in row_of(html, on_the_customer.subject)
    assert ">just now</time>" in row_of(html, fresh.subject)


def test_the_limits_per_tier_come_from_the_settings(client, agent, make_ticket, settings):
    settings.HANDOFF_WAITING_HOURS = {"strategic": 24, "standard": 2, "trial": 168}
    ticket = make_ticket()
    age(ticket, hours=3)
    client.force_login(agent)

    row = row_of(client.get(LIST).content.decode(), ticket.subject)

    assert 'title="Standard customers expect an update within 2 hours">Waiting' in row


def test_the_waiting_filter_lists_only_tickets_past_their_tiers_limit(client, agent, make_ticket, customer):
    Customer.objects.filter(pk=customer.pk).update(tier=Customer.Tier.TRIAL)
    week_old, eight_days = make_ticket(subject="Six days"), make_ticket(subject="Eight days")
    closed = make_ticket(subject="Closed long ago")
    Ticket.objects.filter(pk=closed.pk).update(status=Ticket.Status.CLOSED)
    age(week_old, days=6)
    age(eight_days, days=8)
    age(closed, days=30)
    client.force_login(agent)

    assert subjects(client.get(LIST, {"waiting": "yes"})) == ["Eight days"]


# My tickets and saved views


def test_my_tickets_lists_the_tickets_assigned_to_me(client, agent, other_agent, make_ticket):
    make_ticket(subject="Mine")
    make_ticket(subject="Theirs", actor=other_agent)
    nobodys = make_ticket(subject="Unassigned one")
    Ticket.objects.filter(pk=nobodys.pk).update(assignee=None)
    client.force_login(agent)

    mine = client.get(LIST, {"assignee": "me"})

    assert subjects(mine) == ["Mine"]
    assert '<a href="/tickets/?assignee=me" aria-current="true">My tickets</a>' in mine.content.decode()
    assert subjects(client.get(LIST, {"assignee": "none"})) == ["Unassigned one"]


def test_the_list_offers_my_views_and_the_shared_ones_and_marks_the_one_shown(client, agent, manager, make_ticket):
    make_ticket()
    saved_view_save(owner=manager, list_name="tickets", name="New ones", query="status=new", shared=True,
                    channel=Channel.WEB)
    saved_view_save(owner=agent, list_name="tickets", name="By subject", query="sort=subject", channel=Channel.WEB)
    saved_view_save(owner=manager, list_name="defects", name="Not this list", query="", channel=Channel.WEB)
    client.force_login(agent)

    html = client.get(LIST, {"sort": "subject", "page": "1"}).content.decode()

    assert '<a href="/tickets/?status=new">New ones</a>' in html
    assert '<a href="/tickets/?sort=subject" aria-current="true">By subject</a>' in html
    assert "Not this list" not in html
    assert 'aria-label="Delete the view By subject"' in html
    assert 'aria-label="Delete the view New ones"' not in html


def test_engineers_see_no_my_tickets_and_no_bulk_actions(client, agent, engineer, make_ticket):
    escalate(make_ticket(), agent)
    client.force_login(engineer)

    html = client.get(LIST).content.decode()

    assert "My tickets" not in html and 'name="tickets"' not in html and "bulk-form" not in html
    assert "Save this view" in html


def test_the_list_costs_the_same_queries_sorted_or_in_a_saved_view_for_3_or_30_tickets(
    agent, manager, make_ticket
):
    saved_view_save(owner=manager, list_name="tickets", name="Shared", query="status=new", shared=True,
                    channel=Channel.WEB)
    saved_view_save(owner=agent, list_name="tickets", name="Mine", query="assignee=me&sort=-updated",
                    channel=Channel.WEB)
    urls = [
        f"{LIST}?sort=updated", f"{LIST}?sort=-subject&status=awaiting_engineering",
        f"{LIST}?assignee=me&sort=-updated", f"{LIST}?waiting=yes&sort=updated",
    ]
    for n in range(3):
        escalate(make_ticket(subject=f"Few {n}"), agent)
    Ticket.objects.update(updated_at=timezone.now() - timedelta(days=9))
    few = [page_query_count(agent, url) for url in urls]
    for n in range(27):
        escalate(make_ticket(subject=f"Many {n}"), agent)
    Ticket.objects.update(updated_at=timezone.now() - timedelta(days=9))

    assert [page_query_count(agent, url, expect_rows=30) for url in urls] == few
    assert max(few) <= 14, few


# Bulk actions


def test_an_agent_assigns_the_selected_tickets_each_change_audited(client, agent, other_agent, make_ticket):
    first, second, untouched = make_ticket(subject="A"), make_ticket(subject="B"), make_ticket(subject="C")
    client.force_login(agent)

    response = client.post(BULK, {
        "tickets": [first.pk, second.pk], "action": "assign", "assignee": other_agent.pk,
        "next": f"{LIST}?sort=subject",
    }, follow=True)

    assert response.redirect_chain[-1][0] == f"{LIST}?sort=subject"
    assert f"2 tickets assigned to {other_agent.username}." in response.content.decode()
    assert set(Ticket.objects.filter(assignee=other_agent).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert Ticket.objects.get(pk=untouched.pk).assignee == agent
    changes = AuditEntry.objects.filter(field="assignee", channel=Channel.WEB)
    assert sorted((c.object_id, c.old, c.new, c.actor_id) for c in changes) == [
        (first.pk, agent.username, other_agent.username, agent.pk),
        (second.pk, agent.username, other_agent.username, agent.pk),
    ]


def test_an_agent_moves_the_selected_tickets_to_a_status_with_a_note(client, agent, make_ticket):
    tickets = [make_ticket(subject=f"T{n}") for n in range(3)]
    client.force_login(agent)

    response = client.post(BULK, {
        "tickets": [t.pk for t in tickets], "action": "status", "status": "open", "reason": "Triaged at standup",
    }, follow=True)

    assert "3 tickets set to “Open”." in response.content.decode()
    assert set(Ticket.objects.values_list("status", flat=True)) == {"open"}
    assert AuditEntry.objects.filter(field="status", new="open", reason="Triaged at standup").count() == 3


def test_unassigning_leaves_the_tickets_with_nobody(client, agent, ticket):
    client.force_login(agent)
    response = client.post(BULK, {"tickets": [ticket.pk], "action": "unassign"}, follow=True)
    assert "1 ticket unassigned." in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


@pytest.mark.parametrize("data,message", [
    ({"action": "assign"}, "Select at least one ticket."),
    ({"tickets": ["1"], "action": "assign"}, "Assignee: Choose a value for this action."),
    ({"tickets": ["1"], "action": "status", "status": "bogus"}, "Help-desk status: Select a valid choice."),
    ({"tickets": [str(n) for n in range(1, 102)], "action": "unassign"}, "Select at most 100 tickets at a time."),
])
def test_a_bulk_action_without_what_it_needs_changes_nothing_and_says_why(client, agent, ticket, data, message):
    client.force_login(agent)
    data = {**data, "tickets": [str(ticket.pk) if t == "1" else t for t in data.get("tickets", [])]}
    response = client.post(BULK, data, follow=True)
    assert message in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "new" and Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_only_agents_and_managers_run_bulk_actions(client, agent, engineer, outsider, ticket):
    escalate(ticket, agent)
    for user in (engineer, outsider):
        client.force_login(user)
        assert client.post(BULK, {"tickets": [ticket.pk], "action": "unassign"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_the_bulk_box_offers_agents_and_managers_only_and_never_redirects_off_site(
    client, agent, engineer, manager, ticket
):
    client.force_login(agent)
    html = client.get(LIST).content.decode()
    assert f'<option value="{manager.pk}">{manager.username}</option>' in html
    assert f'<option value="{engineer.pk}">' not in html
    assert f'<input type="checkbox" name="tickets" value="{ticket.pk}" id="select-{ticket.pk}"' in html

    response = client.post(BULK, {"tickets": [ticket.pk], "action": "unassign", "next": "https://evil.example/"})
    assert response.url == LIST



def test_a_rows_last_update_and_checkbox_escape_their_values():
    hostile = "<script>alert('x')</script>"
    row = {
        "pk": 3, "number": hostile, "subject": "s", "customer__name": "c", "product__name": "p", "status": "open",
        "url": "/tickets/3/", "status_label": "Open", "updated_iso": hostile, "updated_exact": hostile,
        "age": hostile, "waiting": hostile,
    }
    html = render_fragment("tickets/list_rows.html", {"rows": [row], "selectable": True})
    assert "<script>" not in html
    assert 'aria-label="Select &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"' in html
    assert '<span class="waiting" title="&lt;script&gt;' in html


def test_a_status_a_ticket_may_not_take_is_refused_for_that_ticket_with_the_reason(client, agent, make_ticket):
    escalated, plain = make_ticket(subject="Escalated"), make_ticket(subject="Plain")
    escalate(escalated, agent)
    Ticket.objects.filter(pk=escalated.pk).update(status=Ticket.Status.OPEN)
    client.force_login(agent)

    response = client.post(BULK, {
        "tickets": [escalated.pk, plain.pk], "action": "status", "status": "awaiting_engineering",
    }, follow=True)

    html = response.content.decode()
    assert f"{plain.number} cannot be “Awaiting engineering”: it is linked to no defect" in html
    assert "1 ticket set to “Awaiting engineering”." in html
    assert Ticket.objects.get(pk=escalated.pk).status == "awaiting_engineering"
    assert Ticket.objects.get(pk=plain.pk).status == "new"
    assert not AuditEntry.objects.filter(content_type__model="ticket", object_id=plain.pk, field="status").exists()
