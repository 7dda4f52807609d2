"""The installations' advice is kept until the next change (portal.advice.installations_advice),
per customer, or per contact where contacts see only their own tickets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Channel
from defects.models import Defect, TicketDefectLink
from defects.services.changes import defect_update
from portal.advice import installations_advice
from portal.models import Installation
from portal.selectors import identity_for_session
from releases.services.ship import release_ship
from tests.factories import escalate, walk
from tests.portal.conftest import session_key
from tickets.models import ProductVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def fix(agent, engineer, release):
    """fix(ticket): escalate the ticket and mark its defect fixed in 2.4.0; returns the defect."""
    def fixed(ticket) -> Defect:
        defect = walk(escalate(ticket, agent), Defect.Status.FIXED, engineer)
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
        return defect

    return fixed


def _runs_239(customer, product) -> None:
    old = ProductVersion.objects.create(product=product, name="2.3.9")
    Installation.objects.create(customer=customer, product=product, version=old, environment="Production")


def _advised(identity) -> list[str]:
    [entry] = installations_advice(identity)
    return [t.subject for line in entry.lines for t in line.tickets]


def test_the_advice_is_kept_and_worked_out_again_after_a_change(
    make_ticket, contact, manager, product, release, portal_customer, fix,
):
    fix(make_ticket(contact=contact, subject="Totals are off"))
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    _runs_239(contact.customer, product)
    identity = identity_for_session(session_key(contact))
    assert _advised(identity) == ["Totals are off"]

    with CaptureQueriesContext(connection) as kept:
        assert _advised(identity) == ["Totals are off"]
    fix(make_ticket(contact=contact, subject="Export hangs"))

    assert len(kept.captured_queries) == 1  # the key's state, nothing more
    assert _advised(identity) == ["Totals are off", "Export hangs"]


def test_a_link_written_without_an_audit_row_is_seen_at_once(
    make_ticket, contact, manager, product, release, portal_customer, fix,
):
    defect = fix(make_ticket(contact=contact, subject="Totals are off"))
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    _runs_239(contact.customer, product)
    same = make_ticket(contact=contact, subject="Same totals")
    identity = identity_for_session(session_key(contact))
    assert _advised(identity) == ["Totals are off"]

    # As a conversion or a data import links: no service, no audit row.
    TicketDefectLink.objects.create(ticket=same, defect=defect)

    assert _advised(identity) == ["Totals are off", "Same totals"]


def test_contacts_who_see_only_their_own_tickets_never_read_each_others_kept_advice(
    make_ticket, own_only_customer, own_only_contact, own_only_colleague, manager, product, release, fix,
):
    fix(make_ticket(customer=own_only_customer, contact=own_only_contact, subject="Olga's totals"))
    fix(make_ticket(customer=own_only_customer, contact=own_only_colleague, subject="Ivan's export"))
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Checked by hand.")
    _runs_239(own_only_customer, product)

    signed_in = [identity_for_session(session_key(c)) for c in (own_only_contact, own_only_colleague)]

    olga, ivan = (_advised(identity) for identity in signed_in)

    assert (olga, ivan) == (["Olga's totals"], ["Ivan's export"])
