"""The help desk sees requests where it sees defects: the ticket list, the dashboards; a new tier recounts demand."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Channel
from defects.models import Team
from enhancements.services.requests import request_link_ticket
from enhancements.services.transitions import request_transition
from tests.factories import request_from
from tickets.models import Customer
from tickets.services.customers import customer_update


def section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _planned(ticket, agent, product_manager, release, **fields):
    request = request_from(ticket, agent, **fields)
    for to in ("under_review", "planned"):
        request_transition(request=request, to=to, target_release=release, actor=product_manager, channel="web")
    return request


def test_the_ticket_list_shows_each_tickets_request_with_its_plan(client, agent, product_manager, make_ticket, release):
    ticket = make_ticket(subject="Wants VAT lines")
    request = _planned(ticket, agent, product_manager, release)
    client.force_login(agent)
    html = client.get("/tickets/").content.decode()
    assert f'<a href="/requests/{request.pk}/">{request.key}</a>' in html
    assert '<span class="badge enh-planned">Planned for 2.4.0</span>' in html
    assert '<span class="badge hd-awaiting_product">Awaiting product management</span>' in html


def test_the_ticket_list_costs_the_same_queries_with_1_or_12_requests(client, agent, product_manager, make_ticket,
                                                                     release):
    client.force_login(agent)
    _planned(make_ticket(), agent, product_manager, release)
    with CaptureQueriesContext(connection) as few:
        client.get("/tickets/")
    for i in range(11):
        _planned(make_ticket(), agent, product_manager, release, title=f"Wish {i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/tickets/")
    assert len(many) == len(few)


def test_the_agent_board_shows_waiting_and_recently_changed_requests(as_user, agent, product_manager, make_ticket,
                                                                    release):
    waiting = make_ticket(assignee=agent, subject="Dark mode please")
    request_from(waiting, agent, title="Dark mode")
    planned = make_ticket(assignee=agent, subject="VAT lines please")
    request = _planned(planned, agent, product_manager, release, title="VAT per line")
    html = as_user(agent).get("/").content.decode()
    assert "(2)" in section(html, "awaiting-product") and "Dark mode please" in section(html, "awaiting-product")
    changed = section(html, "requests-changed")
    assert request.key in changed and "Planned for 2.4.0" in changed and "Dark mode please" not in changed


def test_managers_and_product_managers_see_open_requests_by_product_team(as_user, agent, manager, product_manager,
                                                                        make_ticket, product):
    team = Team.objects.create(name="Billing product", kind=Team.Kind.PRODUCT)
    request = request_from(make_ticket(), agent)
    request.team = team
    request.save()
    for user in (manager, product_manager):
        rows = section(as_user(user).get("/").content.decode(), "open-requests")
        assert "Billing product" in rows and "<strong>1</strong>" in rows
    assert 'id="open-requests"' not in as_user(agent).get("/").content.decode()


def test_a_new_tier_recounts_the_demand_of_the_customers_open_requests(make_ticket, agent, manager, customer):
    request = request_from(make_ticket(), agent, importance="blocks_deal")
    request.refresh_from_db()
    assert request.demand == 5 * 2  # blocks a deal, standard tier
    customer_update(customer=customer, values={"tier": Customer.Tier.STRATEGIC}, actor=manager, channel=Channel.WEB)
    request.refresh_from_db()
    assert request.demand == 5 * 3


def test_the_customer_api_and_admin_recount_demand(api, client, make_ticket, agent, manager, customer, other_customer):
    request = request_from(make_ticket(), agent, importance="important")
    request_link_ticket(ticket=make_ticket(customer=other_customer), request=request, importance="important",
                        actor=agent, channel=Channel.WEB)
    answer = api(manager).patch(f"/api/customers/{customer.pk}/", {"tier": "trial"}, format="json")
    assert answer.status_code == 200, answer.content
    request.refresh_from_db()
    assert request.demand == 3 * 1 + 3 * 2
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    answer = client.post(f"/admin/tickets/customer/{other_customer.pk}/change/", {
        "name": other_customer.name, "tier": "strategic",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0", "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    })
    assert answer.status_code == 302, answer.content.decode()[:2000]
    request.refresh_from_db()
    assert request.demand == 3 * 1 + 3 * 3


def test_the_agent_board_keeps_the_latest_changes_when_more_tickets_wait_than_it_reads(
    as_user, agent, make_ticket, monkeypatch,
):
    from datetime import timedelta

    from django.utils import timezone

    from enhancements.models import EnhancementRequest
    from tickets import dashboard

    monkeypatch.setattr(dashboard, "MAX_ROWS", 3)
    monkeypatch.setattr(dashboard, "SECTION_ROWS", 2)
    now = timezone.now()
    for n in range(8):
        request = request_from(make_ticket(assignee=agent, subject=f"Wish {n}"), agent, title=f"Wish {n}")
        # Wish 7 moved last, Wish 0 first; the rows' own order in the table is the other way.
        EnhancementRequest.objects.filter(pk=request.pk).update(status_changed_at=now - timedelta(days=30 - n))

    board = dashboard.agent_board(agent)

    assert [t["subject"] for t in board.awaiting_product.shown] == ["Wish 7", "Wish 6"]
    assert board.awaiting_product.more == 1  # three read, two shown


def test_the_agent_board_lists_each_ticket_with_its_newest_request_when_requests_are_shared(
    as_user, agent, make_ticket,
):
    from datetime import timedelta

    from django.utils import timezone

    from enhancements.models import EnhancementRequest, TicketRequestLink
    from tickets import dashboard

    first, second = make_ticket(assignee=agent, subject="Both"), make_ticket(assignee=agent, subject="Older only")
    older = request_from(second, agent, title="Older wish")
    newer = request_from(first, agent, title="Newer wish")
    # The first ticket also asked for the older one, before (a ticket has one open request at a time).
    earlier = TicketRequestLink.objects.create(
        ticket=first, request=older, customer_id=first.customer_id, importance="important"
    )
    long_ago = timezone.now() - timedelta(days=40)
    TicketRequestLink.objects.filter(pk=earlier.pk).update(linked_at=long_ago)
    # The older request moved since; the newer one has not moved yet (no status change).
    EnhancementRequest.objects.filter(pk=older.pk).update(status_changed_at=long_ago + timedelta(days=1))

    board = dashboard.agent_board(agent)

    shown = {t["subject"]: (t["request"]["key"], t["customer__name"]) for t in board.awaiting_product.shown}
    assert shown == {"Both": (newer.key, first.customer.name), "Older only": (older.key, second.customer.name)}
    html = as_user(agent).get("/").content.decode()
    assert html.count(older.key) == 1 and html.count(newer.key) == 1


def test_the_agent_board_follows_each_tickets_newest_request_whatever_the_tickets_status(
    as_user, agent, make_ticket,
):
    """An open ticket whose older request moved lately, and whose newest has not, is not news:
    the board, as the ticket list, shows a ticket by its newest request."""
    from datetime import timedelta

    from django.utils import timezone

    from enhancements.models import EnhancementRequest, TicketRequestLink
    from tickets import dashboard
    from tickets.models import Ticket

    ticket, other = make_ticket(assignee=agent, subject="Asked twice"), make_ticket(assignee=agent, subject="Other")
    older = request_from(other, agent, title="Older wish")
    newer = request_from(ticket, agent, title="Newer wish")
    earlier = TicketRequestLink.objects.create(
        ticket=ticket, request=older, customer_id=ticket.customer_id, importance="important"
    )
    now = timezone.now()
    TicketRequestLink.objects.filter(pk=earlier.pk).update(linked_at=now - timedelta(days=40))
    EnhancementRequest.objects.filter(pk=older.pk).update(status_changed_at=now - timedelta(days=1))
    EnhancementRequest.objects.filter(pk=newer.pk).update(status_changed_at=now - timedelta(days=30))
    # Both tickets are back with the help desk: only "changed recently" can list them.
    Ticket.objects.filter(pk__in=[ticket.pk, other.pk]).update(status=Ticket.Status.OPEN)

    board = dashboard.agent_board(agent)

    changed = {t["subject"]: t["request"]["key"] for t in board.requests_changed.shown}
    assert changed == {"Other": older.key}
    assert board.awaiting_product.tickets == []
