"""Release fixtures: defects fixed in, or planned for, a release, reached through the real services."""

import pytest

from defects.models import Defect
from defects.services.changes import defect_update
from handoff.models import Channel
from releases.models import Release
from tests.triage import escalate, link, move, walk


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
