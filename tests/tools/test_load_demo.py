from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from core.models import AuditEntry, Channel
from core.roles import is_agent, is_engineer, is_manager, is_product_manager
from defects.models import Defect, RoutingRule, Team, TicketDefectLink
from releases.models import Release
from tickets.models import Contact, Customer, Product, Ticket

pytestmark = pytest.mark.django_db

MODELS = [User, Customer, Contact, Product, Team, RoutingRule, Release, Ticket, Defect,
          TicketDefectLink, AuditEntry]


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, and rolled back after it (loading takes a second)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        load()
        yield
        transaction.set_rollback(True)


def test_loading_twice_gives_the_same_counts(demo):
    first = counts()
    assert "(0 new tickets)" in load()
    assert counts() == first


def test_the_demo_users_sign_in_with_the_password_handoff(demo):
    agent = authenticate(username="agent", password="handoff")
    engineer = authenticate(username="engineer", password="handoff")
    manager = authenticate(username="manager", password="handoff")
    assert is_agent(agent) and is_engineer(engineer) and is_manager(manager)
    assert manager.is_staff and not manager.is_superuser
    assert manager.has_perm("defects.change_routingrule")
    assert not agent.is_staff and not engineer.is_staff
    assert Team.objects.filter(members=engineer).exists()


def test_the_product_manager_pm_gets_the_requests_of_every_product(demo):
    pm = authenticate(username="pm", password="handoff")
    assert is_product_manager(pm) and not pm.is_staff
    team = Team.objects.get(members=pm)
    assert team.kind == Team.Kind.PRODUCT
    assert RoutingRule.objects.filter(kind=RoutingRule.Kind.REQUEST, team=team).count() == Product.objects.count()


def test_tickets_cover_every_help_desk_status(demo):
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(Ticket.Status.values)
    assert 20 <= Ticket.objects.count() <= 30


def test_escalations_are_real_routed_and_audited(demo):
    defects = Defect.objects.all()
    assert defects.count() >= 5
    assert all(d.key == f"DEF-{d.pk}" for d in defects)
    # Routing rules decided the teams, and one defect waits in the Unrouted queue.
    assert Defect.objects.get(title__startswith="Card payments").team.name == "Platform"
    assert Defect.objects.get(title__startswith="Scheduled reports").team is None
    for defect in defects:
        assert AuditEntry.objects.filter(
            object_repr__startswith=defect.key, action="created", channel=Channel.WEB
        ).exists()


def test_one_defect_is_reported_by_several_customers(demo):
    shared = Defect.objects.filter(customer_count__gte=2)
    assert shared.exists()
    assert all(d.impact == "multiple_customers" for d in shared)


def test_releases_are_planned_and_shipped_and_defects_point_at_them(demo):
    released = Release.objects.filter(status=Release.Status.RELEASED)
    assert released.exists() and all(r.released_at for r in released)
    assert Release.objects.filter(status=Release.Status.PLANNED).exists()
    assert Defect.objects.filter(planned_release__isnull=False).count() >= 2
    fixed = Defect.objects.get(fixed_in_release__isnull=False)
    assert fixed.status == Defect.Status.RELEASED
    assert set(Ticket.objects.filter(defect_links__defect=fixed).values_list("status", flat=True)) == {
        Ticket.Status.RESOLVED
    }


def test_a_demo_changed_by_hand_is_not_reset_by_loading_again(demo):
    defect = Defect.objects.get(title__startswith="Card payments")
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.WONT_FIX)
    load()
    defect.refresh_from_db()
    assert defect.status == Defect.Status.WONT_FIX


def test_loading_says_how_to_sign_in(demo):
    assert "password 'handoff'" in load()
