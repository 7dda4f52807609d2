"""Release fixtures: defects fixed in, or planned for, a release, reached through the real services."""

import pytest

from core.models import Channel
from defects.models import Defect
from defects.services.changes import defect_update
from releases.models import Release
from tests.factories import escalate, link, move, walk


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    """Emails stay in django.core.mail.outbox (Celery runs in-process: see tests/conftest.py)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def next_release(product) -> Release:
    return Release.objects.create(product=product, version="2.5.0")


@pytest.fixture
def fixed_in(make_ticket, agent, engineer):
    """fixed_in(release, ticket=None, title=..., **ticket fields) -> a defect fixed in `release`.

    Extra tickets in `also` are linked to the same defect before it is fixed.
    """

    def make(release, *, ticket=None, title="PDF export times out on large invoices", also=(), **ticket_kwargs):
        defect = escalate(ticket or make_ticket(**ticket_kwargs), agent, title=title)
        for other in also:
            link(other, defect, agent)
        defect = walk(defect, Defect.Status.IN_VERIFICATION, engineer)
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
        return move(defect, Defect.Status.FIXED, engineer)

    return make


@pytest.fixture
def planned_for(make_ticket, agent, engineer):
    """planned_for(release, ticket=None, **ticket fields) -> an open defect planned for `release`."""

    def make(release, *, ticket=None, **ticket_kwargs):
        defect = escalate(ticket or make_ticket(**ticket_kwargs), agent, title="Totals are rounded twice")
        defect = walk(defect, Defect.Status.IN_PROGRESS, engineer)
        return defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)

    return make


@pytest.fixture
def many_fixed(make_ticket, agent):
    """many_fixed(release, start, count): `count` defects fixed in `release`, each for a new customer
    with one contact and a reported version. Written directly: these feed query-count tests,
    where only the rows matter."""
    from defects.models import TicketDefectLink
    from tickets.models import Contact, Customer, ProductVersion

    def make(release, start, count):
        for n in range(start, start + count):
            customer = Customer.objects.create(name=f"Customer {n}")
            Contact.objects.create(customer=customer, name=f"Contact {n}", email=f"c{n}@example.test")
            version = ProductVersion.objects.create(product=release.product, name=f"1.{n}.0")
            ticket = make_ticket(customer=customer, version=version)
            defect = Defect.objects.create(
                key=f"DEF-Q{n}", title=f"Bug {n}", product=release.product, impact="single_user",
                urgency="blocked", severity="S3", status=Defect.Status.FIXED, fixed_in_release=release,
            )
            TicketDefectLink.objects.create(ticket=ticket, defect=defect, linked_by=agent)

    return make
