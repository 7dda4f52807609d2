"""The installation's identity: one row, made on first use, and a signature only it can make."""

import pytest
from django.db import IntegrityError, transaction

from core.installation import defect_signature, installation, installation_forget, signature_matches
from core.models import Installation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget():
    installation_forget()
    yield
    installation_forget()


def test_the_installation_is_made_on_first_use_and_then_read_back_unchanged():
    first = installation()
    installation_forget()

    again = installation()

    assert again.pk == first.pk and again.secret == first.secret
    assert Installation.objects.count() == 1


def test_the_database_refuses_a_second_installation_row():
    installation()
    with pytest.raises(IntegrityError), transaction.atomic():
        Installation.objects.create(secret="another")


def test_a_signature_is_bound_to_the_defect_key_and_to_the_installation():
    ours = installation()
    other = Installation(secret="someone else's secret")

    assert signature_matches("DEF-3", defect_signature("DEF-3"))
    assert not signature_matches("DEF-4", defect_signature("DEF-3"))
    assert not signature_matches("DEF-3", defect_signature("DEF-3", of=other))
    assert defect_signature("DEF-3").startswith(ours.id.hex[:8] + ":")
