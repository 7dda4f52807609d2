"""Named personas and a small catalogue every test can build on."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from core.models import Channel
from core.roles import AGENTS, ALL_ROLES, ENGINEERS, MANAGERS, PRODUCT_MANAGERS
from defects.models import RoutingRule, Team
from releases.models import Release
from tickets.models import Component, Contact, Customer, Product, ProductVersion
from tickets.services.tickets import ticket_create

PASSWORD = "handoff-test-pw"


@pytest.fixture(autouse=True)
def _fresh_cache(request, settings):
    """No test reads what another cached (ids repeat between tests on SQLite).

    Caches are this process's memory and sessions live in the database, as in the
    embedded default, even when CELERY_BROKER_URL names a Redis (as in CI): clearing
    a Redis cache empties its whole database, the broker's queues with it. Tests
    marked `integration` start their own processes with their own Redis database.
    """
    from django.core.cache import caches

    if not request.node.get_closest_marker("integration"):
        settings.CACHES = {
            alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{alias}"}
            for alias in settings.CACHES
        }
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
        for alias in settings.CACHES:
            caches[alias].clear()


@pytest.fixture
def role_groups(transactional_db) -> None:
    """The role groups again: an earlier transactional test flushes the ones the migration created."""
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


def _user(username: str, group: str | None) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def agent(db) -> User:
    return _user("alice-agent", AGENTS)


@pytest.fixture
def other_agent(db) -> User:
    return _user("oscar-agent", AGENTS)


@pytest.fixture
def engineer(db) -> User:
    return _user("erin-engineer", ENGINEERS)


@pytest.fixture
def manager(db) -> User:
    return _user("maya-manager", MANAGERS)


@pytest.fixture
def product_manager(db) -> User:
    return _user("pia-pm", PRODUCT_MANAGERS)


@pytest.fixture
def outsider(db) -> User:
    return _user("olly-outsider", None)


@pytest.fixture
def team(db, engineer) -> Team:
    team = Team.objects.create(name="Billing engineering")
    team.members.add(engineer)
    return team


@pytest.fixture
def other_team(db) -> Team:
    return Team.objects.create(name="Platform")


@pytest.fixture
def product(db, team) -> Product:
    return Product.objects.create(name="Billing", code="bill", default_team=team)


@pytest.fixture
def component(product) -> Component:
    return Component.objects.create(product=product, name="Invoices")


@pytest.fixture
def version(product) -> ProductVersion:
    return ProductVersion.objects.create(product=product, name="2.3.1")


@pytest.fixture
def release(product) -> Release:
    return Release.objects.create(product=product, version="2.4.0")


@pytest.fixture
def customer(db) -> Customer:
    return Customer.objects.create(name="Acme Corp")


@pytest.fixture
def other_customer(db) -> Customer:
    return Customer.objects.create(name="Globex")


@pytest.fixture
def contact(customer) -> Contact:
    return Contact.objects.create(customer=customer, name="Carol Customer", email="carol@acme.test")


@pytest.fixture
def make_ticket(agent, product, customer):
    def make(**kwargs):
        params = {
            "actor": agent,
            "channel": Channel.WEB,
            "subject": "Invoice PDF export fails with a timeout",
            "customer": customer,
            "product": product,
            "description": "Exporting a large invoice to PDF times out.",
        }
        params.update(kwargs)
        return ticket_create(**params)

    return make


@pytest.fixture
def ticket(make_ticket):
    return make_ticket()


@pytest.fixture
def api(db):
    """An API client logged in as the given user: api(agent).get(...)."""

    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def as_user(client):
    """The test client logged in as the given user: as_user(agent).get(...)."""

    def login(user: User):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def routing_rule(product, component, other_team) -> RoutingRule:
    return RoutingRule.objects.create(priority=10, product=product, component=component, team=other_team)


@pytest.fixture(autouse=True)
def _eager_celery(request, settings):
    """Tasks run in-process even when CELERY_BROKER_URL is set (as in CI).

    Only tests marked `integration` talk to a real broker and worker.
    """
    if request.node.get_closest_marker("integration"):
        yield
        return
    from handoff.celery import app

    before = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _estimates_asked_each_time(monkeypatch):
    """The planner is asked on every page: an estimate kept a minute (core.paginator) would make
    a page's query count depend on the page read before it."""
    from core import paginator

    monkeypatch.setattr(paginator, "ESTIMATE_SECONDS", 0.0)
    monkeypatch.setattr(paginator, "_estimates", {})


@pytest.fixture(autouse=True)
def _reference_read_each_time(monkeypatch):
    """Products, assignable users, saved views and the signed-in user are read on every page: kept
    in the process (core.reference), a page's query count would depend on the page read before it.
    tests/core/test_reference.py keeps them, as served processes do."""
    from core import reference

    monkeypatch.setattr(reference, "KEEP_SECONDS", 0.0)
    reference.forget()


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path_factory):
    """Files a test stores land in a folder of the test's own, never in the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Real hashing costs ~0.3 s per user; tests only need it to be correct.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
