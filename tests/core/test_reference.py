"""Lists kept in the process until they change (core.reference), as served processes keep them."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.signals import request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from core import reference
from core.auth import RoleModelBackend
from core.models import Channel, SavedView
from core.roles import AGENTS
from core.saved_views import saved_view_list, saved_view_save
from tickets.models import Product
from tickets.selectors import assignable_users, product_choices

pytestmark = pytest.mark.django_db
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the signed-in user is read with its roles on PostgreSQL only"
)


@pytest.fixture(autouse=True)
def keeping(monkeypatch, settings):
    """Kept as a served process with a shared cache keeps them (the suite reads them each time:
    tests/conftest.py). The cache itself stays this process's memory, as in every test."""
    monkeypatch.setattr(reference, "KEEP_SECONDS", 300.0)
    settings.CACHE_URL = "redis://cache.invalid:6379/0"


def another_process_changes_them() -> None:
    """What another process's change leaves in the shared cache: a generation this one never saw."""
    cache.set(reference.GENERATION_KEY, "drawn-by-another-process", None)


def next_request() -> None:
    """A request starts, as Django's test client starts one (the test's connection stays open)."""
    request_started.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
    finally:
        request_started.connect(close_old_connections)


def queries(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


def test_without_a_shared_cache_every_read_goes_to_the_database(product, settings):
    # Another process's change could not reach this one: nothing is kept.
    settings.CACHE_URL = None
    product_choices()
    assert queries(product_choices) == 1


def test_a_kept_list_costs_no_query_until_a_watched_model_changes(product):
    assert product_choices() == ((product.pk, "Billing"),)
    assert queries(product_choices) == 0

    added = Product.objects.create(name="Analytics", code="an")

    assert queries(product_choices) == 1
    assert product_choices() == ((added.pk, "Analytics"), (product.pk, "Billing"))


def test_a_change_made_by_another_process_shows_at_its_next_request(product):
    product_choices()
    # Written without a signal here, as if by another process: this one does not know yet.
    Product.objects.bulk_create([Product(name="Analytics", code="an")])
    assert [name for _, name in product_choices()] == ["Billing"]

    another_process_changes_them()
    assert [name for _, name in product_choices()] == ["Billing"]  # same request: the generation read once
    next_request()

    assert [name for _, name in product_choices()] == ["Analytics", "Billing"]


def test_outside_requests_the_generation_is_read_again_after_a_second(product, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(reference.time, "monotonic", lambda: clock[0])
    product_choices()
    Product.objects.bulk_create([Product(name="Analytics", code="an")])
    another_process_changes_them()

    clock[0] += reference.GENERATION_SECONDS / 2
    assert len(product_choices()) == 1
    clock[0] += reference.GENERATION_SECONDS
    assert len(product_choices()) == 2


def test_nothing_is_kept_longer_than_keep_seconds(product, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(reference.time, "monotonic", lambda: clock[0])
    product_choices()
    Product.objects.bulk_create([Product(name="Analytics", code="an")])  # no signal anywhere

    clock[0] += reference.KEEP_SECONDS - 1
    next_request()
    assert len(product_choices()) == 1
    clock[0] += 2
    assert len(product_choices()) == 2


def test_a_change_draws_a_new_generation_again_when_it_commits(product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        product.name = "Billing Cloud"
        product.save()
        at_once = cache.get(reference.GENERATION_KEY)
    # A process that read between the save and the commit kept the list as it was before.
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.get(reference.GENERATION_KEY) not in (None, at_once)
    assert product_choices() == ((product.pk, "Billing Cloud"),)


def test_a_generation_lost_from_the_cache_is_drawn_again_and_nothing_kept_before_is_read(product):
    product_choices()
    Product.objects.bulk_create([Product(name="Analytics", code="an")])
    cache.delete(reference.GENERATION_KEY)  # a Redis restarted, or the key evicted
    next_request()

    assert len(product_choices()) == 2
    assert cache.get(reference.GENERATION_KEY)


def test_a_new_agent_is_offered_for_assignment_at_once(agent, django_user_model):
    assert [name for _, name in assignable_users()] == ["alice-agent"]
    newcomer = django_user_model.objects.create_user("newcomer")
    assert [name for _, name in assignable_users()] == ["alice-agent"]

    newcomer.groups.add(Group.objects.get(name=AGENTS))
    assert [name for _, name in assignable_users()] == ["alice-agent", "newcomer"]

    newcomer.is_active = False
    newcomer.save()
    assert [name for _, name in assignable_users()] == ["alice-agent"]


def test_a_role_group_renamed_changes_who_is_offered_at_once(agent):
    assert [name for _, name in assignable_users()] == ["alice-agent"]
    group = Group.objects.get(name=AGENTS)
    group.name = "Former agents"
    group.save()

    assert assignable_users() == ()


def test_a_sign_in_does_not_forget_the_lists(agent, client, product):
    product_choices()
    generation = cache.get(reference.GENERATION_KEY)

    client.force_login(agent)  # writes last_login only

    assert cache.get(reference.GENERATION_KEY) == generation
    assert queries(product_choices) == 0


def test_saved_views_are_kept_per_user_and_a_saved_one_shows_at_once(agent, other_agent):
    saved_view_save(owner=agent, list_name=SavedView.List.TICKETS, name="Mine", query="status=open",
                    channel=Channel.WEB)
    assert [v.name for v in saved_view_list(user=agent, list_name=SavedView.List.TICKETS)] == ["Mine"]
    assert saved_view_list(user=other_agent, list_name=SavedView.List.TICKETS) == []

    saved_view_save(owner=other_agent, list_name=SavedView.List.TICKETS, name="Theirs", query="status=new",
                    channel=Channel.WEB)

    assert [v.name for v in saved_view_list(user=agent, list_name=SavedView.List.TICKETS)] == ["Mine"]
    assert [v.name for v in saved_view_list(user=other_agent, list_name=SavedView.List.TICKETS)] == ["Theirs"]


def test_the_ticket_list_reads_only_its_tickets_once_the_lists_are_kept(as_user, agent, make_ticket):
    make_ticket()
    client = as_user(agent)
    assert client.get("/tickets/").status_code == 200

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/tickets/")

    assert page.status_code == 200 and "Billing" in page.content.decode()
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    for kept in ('FROM "tickets_product"', '"handoff_savedview"', 'DISTINCT "auth_user"'):
        assert kept not in tables
    if connection.vendor == "postgresql":
        assert '"auth_user"."password"' not in tables  # the signed-in user, with its roles


@needs_postgres
def test_an_account_deactivated_or_given_a_new_password_is_signed_out_at_once(as_user, agent, other_agent):
    client = as_user(agent)
    assert client.get("/tickets/").status_code == 200

    agent.is_active = False
    agent.save()
    assert client.get("/tickets/").status_code == 302

    other = as_user(other_agent)
    assert other.get("/tickets/").status_code == 200
    other_agent.set_password("a-brand-new-password")
    other_agent.save()
    assert other.get("/tickets/").status_code == 302


@needs_postgres
def test_a_role_taken_away_counts_from_the_next_page(as_user, agent):
    client = as_user(agent)
    assert client.get("/tickets/new/").status_code == 200

    agent.groups.remove(Group.objects.get(name=AGENTS))

    assert client.get("/tickets/new/").status_code == 403


@needs_postgres
def test_what_a_view_sets_on_its_user_does_not_reach_the_next_request(agent):
    backend = RoleModelBackend()
    first = backend.get_user(agent.pk)
    first.first_name = "Changed by a form that was then refused"
    first._handoff_groups = set()

    again = backend.get_user(agent.pk)

    assert again is not first and again.first_name == "" and again._handoff_groups == {AGENTS}
