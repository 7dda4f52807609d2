"""The ticket page says which releases hold its defect's fix, in the help desk's words."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Channel
from releases.models import Release
from releases.services.ship import release_ship
from tests.factories import escalate
from tests.releases.code.conftest import build_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(make_ticket):
    return make_ticket(subject="Totals are off by a cent")


@pytest.fixture
def coded(ticket, agent, upstream, repository, product):
    """The ticket's defect fixed on main (tag v2.4.1) and backported (tag v2.3.5)."""
    defect = escalate(ticket, agent, title="Totals are rounded twice")
    build_lines(upstream, defect.key)
    return {version: Release.objects.create(product=product, version=version) for version in ("2.3.5", "2.4.1")}


def test_the_ticket_page_names_the_shipped_releases_and_the_one_not_shipped_yet(
    coded, ticket, scan, as_user, agent, manager
):
    release_ship(release=coded["2.3.5"], actor=manager, channel=Channel.WEB)
    scan()
    page = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<p id="fixed-in-code">Fixed in code: 2.3.5 (backport), in 2.4.1 (not shipped yet)</p>' in page

    release_ship(release=coded["2.4.1"], actor=manager, channel=Channel.WEB)
    page = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<p id="fixed-in-code">Fixed in code: 2.3.5 (backport), 2.4.1</p>' in page


def test_a_ticket_without_code_says_nothing_of_it(ticket, agent, as_user):
    escalate(ticket, agent, title="Not fixed yet")
    assert 'id="fixed-in-code"' not in as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()


def test_the_ticket_page_costs_the_same_queries_for_one_or_two_lines(
    ticket, agent, upstream, repository, scan, as_user
):
    defect = escalate(ticket, agent, title="Totals are rounded twice")
    upstream.tag("v2.3.0")
    upstream.branch("release-2.3")
    upstream.checkout("main")
    fix = upstream.commit(f"Fixes {defect.key}", file="totals.txt")
    upstream.tag("v2.4.1")
    scan()
    client = as_user(agent)
    with CaptureQueriesContext(connection) as one:
        assert "Fixed in code: in 2.4.1 (not shipped yet)" in client.get(f"/tickets/{ticket.pk}/").content.decode()
    upstream.checkout("release-2.3")
    upstream.cherry_pick(fix)
    upstream.tag("v2.3.5")
    scan()
    with CaptureQueriesContext(connection) as two:
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Fixed in code: in 2.3.5 (backport) (not shipped yet), in 2.4.1 (not shipped yet)" in page
    assert len(two) == len(one)
    # The defect's code panel says the same of tags no release of Handoff names.
    panel = client.get(f"/releases/code/defects/{defect.pk}/").content.decode()
    assert panel.count("(not shipped yet)") == 2
