import pytest

from core.audit import audit_changes, audit_history, audit_record
from core.models import AuditEntry, Channel

pytestmark = pytest.mark.django_db


def test_only_the_fields_that_changed_are_written(customer, manager):
    rows = audit_changes(
        obj=customer, actor=manager, channel=Channel.WEB,
        changes={"name": ("Acme", "Acme Corp"), "phone": ("555", "555"), "notes": (None, "")},
    )
    assert [(r.field, r.old, r.new) for r in rows] == [("name", "Acme", "Acme Corp")]
    assert AuditEntry.objects.count() == 1


def test_nothing_is_written_when_nothing_changed(customer, manager):
    assert audit_changes(obj=customer, actor=manager, channel=Channel.WEB,
                         changes={"name": ("Acme", "Acme")}) == []
    assert not AuditEntry.objects.exists()


def test_the_channel_actor_and_reason_are_recorded(customer, manager):
    audit_changes(obj=customer, actor=manager, channel=Channel.API,
                  changes={"name": ("Acme", "Acme Corp")}, reason="Renamed after the merger")
    entry = audit_history(customer).get()
    assert (entry.channel, entry.actor, entry.reason) == ("api", manager, "Renamed after the merger")
    assert entry.object_repr == "Acme Corp"


def test_a_tracker_channel_carries_the_connection_name(customer):
    audit_record(obj=customer, actor=None, channel=Channel.tracker("acme-jira"), action="synced")
    assert audit_history(customer).get().channel == "tracker:acme-jira"


def test_an_anonymous_actor_is_stored_as_no_one(customer):
    from django.contrib.auth.models import AnonymousUser

    entry = audit_record(obj=customer, actor=AnonymousUser(), channel=Channel.SYSTEM, action="created")
    assert entry.actor is None and entry.channel == "system"


def test_related_objects_and_lists_are_written_as_text(customer, other_customer, agent):
    rows = audit_changes(obj=customer, actor=agent, channel=Channel.WEB,
                         changes={"peers": ([], [other_customer, customer])})
    assert rows[0].new == "Acme Corp, Globex"


def test_history_is_only_about_the_object_asked_for(customer, other_customer, agent):
    audit_record(obj=customer, actor=agent, channel=Channel.WEB, action="created")
    audit_record(obj=other_customer, actor=agent, channel=Channel.WEB, action="created")
    assert [e.object_repr for e in audit_history(customer)] == ["Acme Corp"]
