"""The Redmine connector (python-redmine) over real HTTP against a local Redmine: descriptions, links, notes."""

import pytest

from sync.connectors import connector_for
from sync.connectors.base import DELETED_IN_HANDOFF, OutboundChange, comment_marker, defect_marker
from sync.services.translate import description_sections
from tests.factories import connect
from tests.fakes.redmine_server import FakeRedmine

pytestmark = pytest.mark.django_db


@pytest.fixture
def redmine():
    server = FakeRedmine().start()
    yield server
    server.stop()


@pytest.fixture
def redmine_connection(db, redmine, team):
    return connect(team, name="Redmine", kind="redmine", base_url=redmine.base_url, token="redmine-api-key",
                   project="billing")


def change(kind: str, twin, **kwargs) -> OutboundChange:
    return OutboundChange(kind=kind, defect_key="DEF-7", defect_url="http://portal/defects/7/", twin=twin, **kwargs)


def test_linking_an_existing_issue_writes_the_key_field_and_the_signed_footer_and_keeps_its_text(
    redmine, redmine_connection
):
    issue = redmine.add_issue("Export hangs", "Seen by two customers.")
    connector = connector_for(redmine_connection)
    twin = connector.lookup(f"#{issue['id']}").twin

    connector.push(change("fields", twin))
    connector.push(change("fields", twin))  # again: nothing changes

    assert issue["description"].startswith("Seen by two customers.")
    assert "Handoff defect: DEF-7 " in issue["description"] and defect_marker("DEF-7") in issue["description"]
    assert issue["custom_fields"][0]["value"] == "DEF-7"
    assert len(redmine.requests_to("PUT", f"/issues/{issue['id']}.json")) == 1
    read = connector.fetch(twin)
    assert read.portal_key == "DEF-7" and read.fields["description"] == "Seen by two customers."


def test_a_description_edited_in_redmine_is_reported_without_the_footer_and_reads_back_into_sections(
    redmine, redmine_connection
):
    issue = redmine.add_issue("Export hangs")
    connector = connector_for(redmine_connection)
    twin = connector.lookup(str(issue["id"])).twin
    connector.push(change("fields", twin, fields={"description": "Hangs.\n\nSteps to reproduce:\nExport"}))
    issue["description"] = issue["description"].replace("Export", "Export 500 pages").replace("\n", "\r\n")

    reported = connector.fetch(twin).fields["description"]

    assert "Handoff defect" not in reported
    assert description_sections(reported)["steps_to_reproduce"] == "Export 500 pages"


def test_a_note_keeps_its_journal_id_and_is_edited_then_marked_deleted_in_place(redmine, redmine_connection):
    issue = redmine.add_issue("Export hangs")
    connector = connector_for(redmine_connection)
    twin = connector.lookup(str(issue["id"])).twin

    connector.push(change("comment", twin, comment="Pool size is 4.", source_id=12))
    (journal,) = issue["journals"]
    assert connector.posted_comment_id == str(journal["id"])

    connector.push(change("comment_edit", twin, comment="Pool size is 2.", source_id=12,
                          comment_ref=str(journal["id"])))
    assert journal["notes"].startswith("Pool size is 2.") and comment_marker(12) in journal["notes"]

    connector.push(change("comment_delete", twin, source_id=12, comment_ref=str(journal["id"])))
    assert journal["notes"].startswith(DELETED_IN_HANDOFF) and len(issue["journals"]) == 1


def test_without_editable_journals_an_edit_posts_one_correction_naming_the_original(team, db):
    server = FakeRedmine(editable_journals=False).start()
    try:
        connection = connect(team, name="Old Redmine", kind="redmine", base_url=server.base_url,
                             token="redmine-api-key", project="billing")
        issue = server.add_issue("Export hangs")
        connector = connector_for(connection)
        twin = connector.lookup(str(issue["id"])).twin
        edit = change("comment_edit", twin, comment="Pool size is 2.", source_id=12, comment_ref="100")

        connector.push(edit)
        connector.push(edit)

        (correction,) = issue["journals"]
        assert correction["notes"].startswith("Note #100 was edited in Handoff:")
        connection.refresh_from_db()
        assert not connection.paused
    finally:
        server.stop()
