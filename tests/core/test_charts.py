"""Figures kept until the next change (core.charts.cached_until_change)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import audit_record
from core.charts import cached_until_change, newest_ids
from core.models import AuditEntry, Channel
from tickets.models import Customer

pytestmark = pytest.mark.django_db


def test_kept_until_an_audit_row_or_a_newer_row_of_a_named_model(agent):
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert cached_until_change("t", compute, also=(Customer,)) == 1
    with CaptureQueriesContext(connection) as kept:
        assert cached_until_change("t", compute, also=(Customer,)) == 1
    # One query reads the newest audit row and the newest customer.
    assert len(kept) == 1

    # A row written without an audit row, in a model the key names: computed again.
    Customer.objects.create(name="Written directly")
    assert cached_until_change("t", compute, also=(Customer,)) == 2
    # A change that writes an audit row: computed again.
    audit_record(obj=Customer.objects.first(), actor=agent, channel=Channel.WEB, action="changed")
    assert cached_until_change("t", compute, also=(Customer,)) == 3
    assert cached_until_change("t", compute, also=(Customer,)) == 3


def test_newest_ids_reads_each_table_and_none_for_an_empty_one():
    assert newest_ids(AuditEntry, Customer) == (None, None)
    customer = Customer.objects.create(name="Acme")
    assert newest_ids(AuditEntry, Customer) == (None, customer.pk)
