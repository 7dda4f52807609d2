"""No outsider steers a defect through a tracker: inbound traffic never links an issue, and a
repeated create adopts only the issue this installation's own account made and signed."""

import pytest

from core.installation import installation_forget
from core.models import Channel, Installation
from defects.models import Comment, Defect
from defects.services.transitions import defect_transition
from sync.connectors.base import defect_marker
from sync.models import ExternalIssue, OutboxItem
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests.factories import synced_defect
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_installation():
    # Each test starts from its own installation row (tests roll the database back).
    installation_forget()
    yield
    installation_forget()


def in_progress_defect_not_yet_in_github(escalate, ticket, engineer) -> Defect:
    """A defect whose create is still waiting in the outbox: it has no issue in GitHub yet."""
    defect = escalate(ticket)
    for status in ("triage", "in_progress"):
        defect_transition(defect=defect, to=status, actor=engineer, channel=Channel.WEB)
    defect.refresh_from_db()
    return defect


def outsider_issue_naming(github, defect: Defect) -> dict:
    """An issue anyone could open on a public repository, claiming to be the defect's twin."""
    return github.add_issue(
        "Renamed by an outsider", body=f"Please look.\n\n---\nHandoff defect: {defect.key} https://evil.example/",
        labels=["severity: S1", "status: won't fix"], state="closed", state_reason="not_planned",
    )


def assert_untouched(defect: Defect, before: Defect) -> None:
    defect.refresh_from_db()
    assert (defect.status, defect.severity, defect.title) == (before.status, before.severity, before.title)
    assert not Comment.objects.filter(defect=defect).exists()
    assert not ExternalIssue.objects.filter(defect=defect).exists()


def test_a_signed_webhook_about_an_unlinked_issue_naming_a_defect_changes_nothing(
    github, github_connection, escalate, ticket, engineer, deliver
):
    defect = in_progress_defect_not_yet_in_github(escalate, ticket, engineer)
    before = Defect.objects.get(pk=defect.pk)
    issue = outsider_issue_naming(github, defect)
    comment = github.comment_as(issue["number"], "Closing this, not a bug.")

    closed = deliver(github_connection, *github.webhook("issues", issue["number"], action="closed",
                                                       secret=WEBHOOK_SECRET))
    commented = deliver(github_connection, *github.webhook("issue_comment", issue["number"], action="created",
                                                          comment=comment, secret=WEBHOOK_SECRET))

    assert (closed.status_code, commented.status_code) == (202, 202)  # validly signed: taken, then ignored
    assert_untouched(defect, before)


def test_a_poll_that_lists_an_unlinked_issue_naming_a_defect_changes_nothing(
    github, github_connection, escalate, ticket, engineer
):
    defect = in_progress_defect_not_yet_in_github(escalate, ticket, engineer)
    before = Defect.objects.get(pk=defect.pk)
    issue = outsider_issue_naming(github, defect)
    github.comment_as(issue["number"], "Closing this, not a bug.")

    assert connection_poll(connection=github_connection) == 1

    assert_untouched(defect, before)


def test_creating_the_issue_ignores_an_outsiders_issue_carrying_the_key_and_even_a_copied_marker(
    github, github_connection, escalate, ticket
):
    defect = escalate(ticket)
    # Keys are sequential: an outsider opened an issue for it in advance, with a
    # marker copied from somewhere (a valid one, to show the author is checked too).
    github.add_issue("Bait", body=f"Handoff defect: {defect.key} https://evil.example/ {defect_marker(defect.key)}")

    outbox_drain()

    assert len(github.issues) == 2
    twin = ExternalIssue.objects.get(defect=defect)
    assert twin.external_id == "2" and github.issues[2]["author"] == "handoff-bot"


@pytest.mark.parametrize("marker", ["", "[handoff:0123abcd:" + "0" * 32 + "]"], ids=["none", "forged"])
def test_creating_the_issue_ignores_our_own_accounts_issue_without_a_valid_marker(
    github, github_connection, escalate, ticket, marker
):
    defect = escalate(ticket)
    github.add_issue("Made by hand with the bot's token",
                     body=f"Handoff defect: {defect.key} https://evil.example/ {marker}", author="handoff-bot")

    outbox_drain()

    assert len(github.issues) == 2
    assert ExternalIssue.objects.get(defect=defect).external_id == "2"


def test_a_create_repeated_after_a_crash_still_adopts_its_own_signed_issue(github, github_connection, escalate,
                                                                              ticket):
    defect = escalate(ticket)
    github.add_issue("Bait", body=f"Handoff defect: {defect.key} https://evil.example/")
    outbox_drain()
    ExternalIssue.objects.filter(defect=defect).delete()  # the bookkeeping of the create was lost
    OutboxItem.objects.filter(kind="create").update(status=OutboxItem.Status.PENDING)

    outbox_drain()

    assert len(github.issues) == 2
    assert ExternalIssue.objects.get(defect=defect).external_id == "2"


def test_two_installations_on_one_repository_never_adopt_each_others_issues(
    github, github_connection, escalate, ticket
):
    defect = synced_defect(escalate, ticket)
    first = Installation.objects.get()
    # Another Handoff (its own id and secret) syncs with the same repository, with the
    # same bot account, and creates its own defect of the same key.
    Installation.objects.all().delete()
    installation_forget()
    ExternalIssue.objects.filter(defect=defect).delete()
    OutboxItem.objects.filter(kind="create").update(status=OutboxItem.Status.PENDING)

    outbox_drain()

    assert Installation.objects.get().pk != first.pk
    assert len(github.issues) == 2
    assert ExternalIssue.objects.get(defect=defect).external_id == "2"


def test_jira_create_ignores_an_issue_labelled_with_the_key_by_someone_else_or_unsigned(
    jira, jira_connection, escalate, ticket
):
    defect = escalate(ticket)
    jira.add_issue("Bait by a user", labels=[f"handoff-{defect.key}"])
    jira.add_issue("Bait with the bot's account", labels=[f"handoff-{defect.key}"], creator="Handoff bot")

    outbox_drain()

    assert len(jira.issues) == 3
    twin = ExternalIssue.objects.get(defect=defect)
    assert twin.key == "HD-3"
    assert any(label.startswith("handoff-sig-") for label in jira.issue("HD-3")["labels"])


def test_jira_create_repeated_after_a_crash_adopts_its_own_signed_issue(jira, jira_connection, escalate, ticket):
    defect = escalate(ticket)
    jira.add_issue("Bait by a user", labels=[f"handoff-{defect.key}"])
    outbox_drain()
    ExternalIssue.objects.filter(defect=defect).delete()
    OutboxItem.objects.filter(kind="create").update(status=OutboxItem.Status.PENDING)

    outbox_drain()

    assert len(jira.issues) == 2
    assert ExternalIssue.objects.get(defect=defect).key == "HD-2"
