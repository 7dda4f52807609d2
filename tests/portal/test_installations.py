"""'Our installations' and the upgrade advice built on them with the release report's rule."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEntry, Channel
from defects.models import Defect
from defects.services.changes import defect_update
from portal.advice import installations_advice
from portal.models import Installation
from portal.selectors import identity_for_session
from portal.services.installations import installation_save
from releases.services.releases import release_create
from releases.services.ship import release_ship
from tests.factories import escalate, link, move, walk
from tests.portal.conftest import session_key
from tests.releases.code.conftest import _mirrors, lines, repository, scan, upstream  # noqa: F401
from tickets.models import ProductVersion

pytestmark = pytest.mark.django_db


def test_a_contact_adds_and_changes_an_installation_in_the_portal(portal_client, contact, product, version):
    client = portal_client(contact)

    added = client.post(reverse("portal:installations"), {"product": product.pk, "version": version.pk,
                                                          "environment": "Production"})
    installation = Installation.objects.get()
    changed = client.post(reverse("portal:installation", args=[installation.pk]),
                          {"product": product.pk, "version": "", "environment": "Staging"})

    assert added.status_code == 302 and changed.status_code == 302
    installation.refresh_from_db()
    assert installation.customer == contact.customer and installation.version is None
    assert installation.environment == "Staging"
    assert AuditEntry.objects.filter(action="installation changed", channel=f"portal:{contact.email}").exists()


def test_an_agent_keeps_a_customers_installations_on_the_staff_side(client, agent, engineer, portal_customer,
                                                                    product, version):
    client.force_login(agent)
    url = reverse("portal_staff:installations", args=[portal_customer.pk])

    client.post(url, {"product": product.pk, "version": version.pk, "environment": "Production"})
    installation = Installation.objects.get()
    client.post(url, {"installation": installation.pk, f"i{installation.pk}-product": product.pk,
                      f"i{installation.pk}-version": "", f"i{installation.pk}-environment": "Test"})

    installation.refresh_from_db()
    assert installation.environment == "Test" and installation.version is None
    assert AuditEntry.objects.filter(action="installation changed", actor=agent).exists()
    client.force_login(engineer)
    assert client.get(url).status_code == 403


def test_the_advice_names_the_release_that_fixes_each_ticket(make_ticket, contact, agent, engineer, manager, product,
                                                           release, portal_customer):
    ticket = make_ticket(contact=contact, subject="Totals are off")
    defect = walk(escalate(ticket, agent), Defect.Status.FIXED, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    old = ProductVersion.objects.create(product=product, name="2.3.9")
    Installation.objects.create(customer=contact.customer, product=product, version=old, environment="Production")
    identity = identity_for_session(session_key(contact))

    [planned] = installations_advice(identity)
    assert planned.lines == []  # 2.4.0 has not shipped: the ticket's status says it is planned

    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    [entry] = installations_advice(identity)
    assert entry.upgrade.version == "2.4.0"
    assert [(line.take.version, [t.number for t in line.tickets]) for line in entry.lines] == [
        ("2.4.0", [ticket.number])
    ]
    current = ProductVersion.objects.get(product=product, name="2.4.0")
    installation_save(customer=contact.customer, installation=entry.installation, product=product, version=current,
                      environment="Production", actor=None, channel=f"portal:{contact.email}")
    [held] = installations_advice(identity)
    assert held.lines == [] and [t.number for t in held.held] == [ticket.number]


@pytest.fixture
def defect(make_ticket, agent, contact):
    """Carol's ticket escalated: the defect `lines` fixes on main (2.4.1) and backports to 2.3 (2.3.5)."""
    return escalate(make_ticket(contact=contact, subject="Totals are rounded twice"), agent,
                    title="Totals are rounded twice")


@pytest.mark.usefixtures("_mirrors")
def test_a_customer_on_a_maintenance_line_is_advised_the_backport_as_in_the_release_report(
    lines, scan, defect, product, manager, engineer, contact, portal_client, portal_customer  # noqa: F811
):
    for name in ("2.3.5", "2.4.1"):
        release = release_create(product=product, version=name, actor=manager, channel=Channel.WEB)
        if name == "2.4.1":
            fixed = walk(defect, Defect.Status.FIXED, engineer)
            defect_update(defect=fixed, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
        release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Tagged.")
    scan()
    for name, environment in (("2.3.4", "Production"), ("2.4.0", "Staging")):
        version = ProductVersion.objects.get_or_create(product=product, name=name)[0]
        Installation.objects.create(customer=contact.customer, product=product, version=version,
                                    environment=environment)

    html = portal_client(contact).get(reverse("portal:installations")).content.decode()

    production, staging = sorted(installations_advice(identity_for_session(session_key(contact))),
                                 key=lambda a: a.installation.environment)
    assert (production.installation.environment, production.upgrade.label) == ("Production", "2.3.5 (backport)")
    assert (staging.installation.environment, staging.upgrade.label) == ("Staging", "2.4.1")
    assert "Upgrade to Billing 2.3.5 (backport)" in html and "Upgrade to Billing 2.4.1" in html


def test_many_fixed_tickets_are_named_twenty_at_a_time_and_an_open_one_is_not_among_them(
    make_ticket, contact, agent, engineer, manager, product, release, portal_client, portal_customer,
):
    defect = escalate(make_ticket(contact=contact, subject="Fixed 0"), agent)
    for n in range(1, 23):
        link(make_ticket(contact=contact, subject=f"Fixed {n}"), defect, agent)
    fixed = walk(defect, Defect.Status.FIXED, engineer)
    defect_update(defect=fixed, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    escalate(make_ticket(contact=contact, subject="Still open"), agent)
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    current = ProductVersion.objects.get(product=product, name="2.4.0")
    Installation.objects.create(customer=contact.customer, product=product, version=current, environment="Prod")

    [entry] = installations_advice(identity_for_session(session_key(contact)))
    assert len(entry.held) == 23 and "Still open" not in [t.subject for t in entry.held]
    html = portal_client(contact).get(reverse("portal:installations")).content.decode()
    held = html[html.index("Already fixed in what you run"):]
    assert held.count('href="/portal/tickets/') == 20 and "and 3 more" in held


def test_the_advice_costs_the_same_queries_for_one_fixed_ticket_or_eight_on_two_installations(
    make_ticket, contact, agent, engineer, manager, product, release, portal_client, portal_api, portal_customer,
):
    def fix(subject):
        fixed = walk(escalate(make_ticket(contact=contact, subject=subject), agent), Defect.Status.FIXED, engineer)
        defect_update(defect=fixed, actor=engineer, channel=Channel.WEB, fixed_in_release=release)

    fix("Fixed 0")
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    old = ProductVersion.objects.create(product=product, name="2.3.9")
    Installation.objects.create(customer=contact.customer, product=product, version=old, environment="Production")
    client, api = portal_client(contact), portal_api(contact)
    api.get("/api/portal/installations/")  # the token's first use notes when it was used

    def read() -> tuple[int, int, str]:
        cache.clear()  # the advice worked out each time, not kept
        with CaptureQueriesContext(connection) as page:
            html = client.get(reverse("portal:installations")).content.decode()
        cache.clear()
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/api/portal/installations/").status_code == 200
        return len(page.captured_queries), len(listed.captured_queries), html

    page_one, api_one, _ = read()
    for n in range(1, 8):
        fix(f"Fixed {n}")
    Installation.objects.create(customer=contact.customer, product=product, version=None, environment="Staging")
    page_eight, api_eight, html = read()

    assert html.count("Fixed ") >= 8
    assert (page_eight, api_eight) == (page_one, api_one)


def test_the_version_choice_lists_hundreds_of_versions_without_a_template_per_option(
    portal_client, contact, product, monkeypatch,
):
    from portal.forms import _VersionField

    for n in range(300):
        ProductVersion.objects.create(product=product, name=f"3.{n}.<b>")

    # Nor a version object per option: each label is read with its id, as one column.
    def no_instance(self, obj):
        raise AssertionError("a model instance was built for an option")

    monkeypatch.setattr(_VersionField, "label_from_instance", no_instance)
    page = portal_client(contact).get(reverse("portal:installations"))

    html = page.content.decode()
    assert html.count(f">{product.name} 3.") == 300
    assert f">{product.name} 3.7.&lt;b&gt;</option>" in html  # escaped
    assert '<option value="" selected>Not sure</option>' in html
    # Drawn by core.widgets.LongSelect, not Django's option template 300 times over (the
    # few products still go through it).
    assert [t.name for t in page.templates].count("django/forms/widgets/select_option.html") < 10


@pytest.mark.parametrize("posted", ["²", "¹²", "99999999999999999999"])
def test_the_staff_page_takes_an_installation_that_is_not_an_id_as_a_new_one(client, agent, portal_customer, posted):
    client.force_login(agent)

    response = client.post(reverse("portal_staff:installations", args=[portal_customer.pk]), {"installation": posted})

    assert response.status_code == 400 and not Installation.objects.exists()


def test_a_change_refused_as_a_second_installation_leaves_the_page_showing_what_is_saved(
    portal_client, contact, product, version
):
    staging = Installation.objects.create(customer=contact.customer, product=product, environment="Staging")
    production = Installation.objects.create(customer=contact.customer, product=product, environment="Production")

    response = portal_client(contact).post(reverse("portal:installation", args=[production.pk]),
                                           {"product": product.pk, "version": version.pk, "environment": "Staging"})

    html = response.content.decode()
    assert response.status_code == 400 and "already has an installation called Staging" in html
    assert f"<h1>{product.name} · Production</h1>" in html
    production.refresh_from_db()
    assert production.environment == "Production" and staging.environment == "Staging"


def test_a_ticket_is_advised_by_its_current_defect_not_by_an_older_fixed_one(
    make_ticket, contact, agent, engineer, manager, product, release, portal_customer,
):
    first_fixed = make_ticket(contact=contact, subject="Fixed, then escalated again")
    later_fixed = make_ticket(contact=contact, subject="Won't fix, then linked to the fixed defect")
    move(escalate(later_fixed, agent), Defect.Status.WONT_FIX, engineer, reason="Not ours")
    defect = escalate(first_fixed, agent)
    link(later_fixed, defect, agent)
    fixed = walk(defect, Defect.Status.FIXED, engineer)
    defect_update(defect=fixed, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    escalate(first_fixed, agent, title="Totals are rounded twice")
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    old = ProductVersion.objects.create(product=product, name="2.3.9")
    Installation.objects.create(customer=contact.customer, product=product, version=old, environment="Production")

    [entry] = installations_advice(identity_for_session(session_key(contact)))

    assert [(line.take.version, [t.subject for t in line.tickets]) for line in entry.lines] == [
        ("2.4.0", ["Won't fix, then linked to the fixed defect"])
    ]
