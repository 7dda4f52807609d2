"""Enhancement requests in Jira, GitHub and GitLab, over real HTTP against the local trackers.

A request is typed as the connection says (a Jira Story, a GitHub or GitLab
issue labelled `enhancement`), its status comes back through the request's own
moves, its comments cross both ways once, and a repeated create adopts only the
issue this installation's own account made and signed.
"""

import uuid

import pytest
from django.utils import timezone

from core.installation import defect_signature, installation_forget
from core.models import AuditEntry, Channel, Installation
from enhancements.models import EnhancementRequest, RequestComment
from enhancements.services.comments import request_comment_add
from enhancements.services.transitions import request_transition
from releases.models import Release
from sync.connectors.base import defect_marker
from sync.models import Connection, ExternalIssue, OutboxItem, SyncConflict
from sync.services.pull import connection_poll
from sync.services.push import outbox_drain
from tests.factories import connect, request_from
from tests.fakes.gitlab_server import FakeGitLab
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

R = EnhancementRequest.Status


@pytest.fixture(autouse=True)
def _own_installation():
    installation_forget()
    yield
    installation_forget()


def serving(connection: Connection, product_team) -> Connection:
    """`connection` also serves the product team's requests."""
    product_team.connection = connection
    product_team.save(update_fields=["connection"])
    return connection


def plan(request, actor, release) -> EnhancementRequest:
    request = request_transition(request=request, to="under_review", actor=actor, channel=Channel.WEB)
    return request_transition(request=request, to="planned", actor=actor, channel=Channel.WEB, target_release=release)


def other_installations_signature(key: str) -> str:
    return defect_signature(key, of=Installation(id=uuid.uuid4(), secret="another installation's secret"))


# ------------------------------------------------------------------ Jira


def test_a_request_becomes_a_jira_story_with_its_key_label_and_a_link_to_its_page(
    jira, jira_connection, product_team, ticket, agent
):
    serving(jira_connection, product_team)
    request = request_from(ticket, agent)

    outbox_drain()

    issue = jira.only_issue()
    assert issue["issuetype"] == "Story" and issue["status"] == "To Do"
    assert issue["summary"] == request.title and issue["description"].startswith("Our accountants need")
    assert f"handoff-{request.key}" in issue["labels"]
    assert any(label.startswith("handoff-sig-") for label in issue["labels"])
    (link,) = jira.remote_links[issue["id"]].values()
    assert link["globalId"] == f"handoff:{request.key}"
    assert link["object"]["url"].endswith(f"/requests/{request.pk}/")
    twin = ExternalIssue.objects.get(request=request)
    assert (twin.key, twin.url, twin.defect_id) == ("HD-1", f"{jira.base_url}/browse/HD-1", None)


def test_the_jira_issue_type_of_requests_is_the_connections_setting(
    jira, jira_connection, product_team, ticket, agent
):
    Connection.objects.filter(pk=jira_connection.pk).update(request_type="Task")
    serving(jira_connection, product_team)
    request_from(ticket, agent)

    outbox_drain()

    assert jira.only_issue()["issuetype"] == "Task"


def test_a_jira_story_moved_to_in_progress_puts_the_planned_request_in_development(
    jira, jira_connection, product_team, ticket, agent, product_manager, release, deliver
):
    serving(jira_connection, product_team)
    request = plan(request_from(ticket, agent), product_manager, release)
    outbox_drain()
    jira.set("HD-1", status="In Progress")

    answer = deliver(jira_connection, *jira.webhook("jira:issue_updated", "HD-1", secret=WEBHOOK_SECRET))

    assert answer.status_code == 202
    request.refresh_from_db()
    assert request.status == R.IN_DEVELOPMENT
    assert AuditEntry.objects.filter(object_id=request.pk, channel=Channel.tracker("Jira Cloud"),
                                     field="status", new=R.IN_DEVELOPMENT).exists()
    # Declining in Handoff closes the work in Jira: the Story moves to Done.
    request_transition(request=request, to="declined", actor=product_manager, channel=Channel.WEB,
                       reason="Superseded by the new export.")
    outbox_drain()
    assert jira.only_issue()["status"] == "Done"


def test_jira_comments_join_the_request_thread_once_and_ours_are_not_taken_back(
    jira, jira_connection, product_team, ticket, agent, product_manager, deliver
):
    serving(jira_connection, product_team)
    request = request_from(ticket, agent)
    outbox_drain()
    request_comment_add(request=request, author=product_manager, body="Two more customers asked.",
                        channel=Channel.WEB)
    outbox_drain()
    theirs = jira.comment_as("HD-1", "Sized: two sprints.")
    body, headers = jira.webhook("comment_created", "HD-1", comment=theirs, secret=WEBHOOK_SECRET)

    deliver(jira_connection, body, headers)
    deliver(jira_connection, *jira.webhook("comment_created", "HD-1", comment=theirs, secret=WEBHOOK_SECRET))
    connection_poll(connection=jira_connection)

    bodies = list(RequestComment.objects.filter(request=request).values_list("body", flat=True))
    assert bodies == ["Two more customers asked.", "Sized: two sprints.\n\n-- Jamie Jira, in Jira Cloud"]
    assert len(jira.only_issue()["comments"]) == 2


def test_a_repeated_jira_create_adopts_only_the_story_this_installation_signed(
    jira, jira_connection, product_team, ticket, agent
):
    serving(jira_connection, product_team)
    request = request_from(ticket, agent)
    # Labelled with the key in advance: by an outsider, and by our own account from another installation.
    jira.add_issue("Bait", labels=[f"handoff-{request.key}"], issuetype="Story")
    foreign = "handoff-sig-" + other_installations_signature(request.key).replace(":", "-")
    jira.add_issue("Another Handoff's", labels=[f"handoff-{request.key}", foreign], creator="Handoff bot")

    outbox_drain()

    twin = ExternalIssue.objects.get(request=request)
    assert twin.key == "HD-3" and len(jira.issues) == 3
    # The bookkeeping of the create is lost: the create tried again finds its own Story.
    twin.delete()
    OutboxItem.objects.update(status=OutboxItem.Status.PENDING)
    outbox_drain()
    assert ExternalIssue.objects.get(request=request).key == "HD-3" and len(jira.issues) == 3


# ------------------------------------------------------------------ GitHub


def test_a_request_becomes_a_github_issue_labelled_enhancement_with_the_request_footer(
    github, github_connection, product_team, ticket, agent
):
    serving(github_connection, product_team)
    request = request_from(ticket, agent)

    outbox_drain()

    issue = github.only_issue()
    assert sorted(issue["labels"]) == ["enhancement", "status: new"]
    assert issue["body"].endswith(
        f"---\nHandoff request: {request.key} http://127.0.0.1:8000/requests/{request.pk}/ "
        f"{defect_marker(request.key)}"
    )
    twin = ExternalIssue.objects.get(request=request)
    assert twin.key == "acme/billing#1" and twin.url.endswith("/acme/billing/issues/1")


def test_closing_the_github_issue_as_not_planned_declines_the_request_and_a_decline_closes_it(
    github, github_connection, product_team, make_ticket, agent, product_manager, deliver
):
    serving(github_connection, product_team)
    first = request_from(make_ticket(), agent)
    second = request_from(make_ticket(), agent, title="Export in French")
    outbox_drain()
    github.set(1, state="closed", state_reason="not_planned")

    deliver(github_connection, *github.webhook("issues", 1, action="closed", secret=WEBHOOK_SECRET))

    first.refresh_from_db()
    assert first.status == R.DECLINED
    assert first.help_desk_note == "Declined: Set to declined in GitHub."
    request_transition(request=second, to="declined", actor=product_manager, channel=Channel.WEB,
                       reason="Not on the roadmap.")
    outbox_drain()
    closed = github.issues[2]
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    assert "status: declined" in closed["labels"] and "enhancement" in closed["labels"]


def test_an_issue_anyone_opened_naming_a_request_is_never_linked_nor_adopted(
    github, github_connection, product_team, ticket, agent, deliver
):
    serving(github_connection, product_team)
    request = request_from(ticket, agent)  # its create still waits in the outbox
    bait = github.add_issue(
        "Closing this", body=f"---\nHandoff request: {request.key} https://evil.example/ {defect_marker(request.key)}",
        labels=["enhancement", "status: declined"], state="closed", state_reason="not_planned",
    )
    comment = github.comment_as(bait["number"], "Declined, sorry.")

    deliver(github_connection, *github.webhook("issues", bait["number"], action="closed", secret=WEBHOOK_SECRET))
    deliver(github_connection, *github.webhook("issue_comment", bait["number"], action="created", comment=comment,
                                               secret=WEBHOOK_SECRET))
    outbox_drain()

    request.refresh_from_db()
    assert request.status == R.NEW and not RequestComment.objects.exists()
    twin = ExternalIssue.objects.get(request=request)
    assert twin.external_id == "2" and github.issues[2]["author"] == "handoff-bot"


# ------------------------------------------------------------------ GitLab


@pytest.fixture
def gitlab():
    server = FakeGitLab().start()
    yield server
    server.stop()


@pytest.fixture
def gitlab_connection(db, gitlab, product_team, settings) -> Connection:
    settings.HANDOFF_SYNC_BACKOFF_SECONDS = 10
    return connect(
        product_team, name="GitLab", kind="gitlab", base_url=gitlab.origin, token="glpat-test-token",
        project="acme/billing", webhook_secret=WEBHOOK_SECRET, request_type="feature request",
    )


def test_a_request_becomes_a_gitlab_issue_with_the_connections_request_label(
    gitlab, gitlab_connection, ticket, agent
):
    request = request_from(ticket, agent)

    outbox_drain()

    issue = gitlab.only_issue()
    assert sorted(issue["labels"]) == ["feature request", "status::new"]
    assert f"Handoff request: {request.key} " in issue["description"]
    assert ExternalIssue.objects.get(request=request).key == "acme/billing#1"


def test_closing_the_gitlab_issue_delivers_a_request_only_in_its_shipped_target_release(
    gitlab, gitlab_connection, make_ticket, agent, product_manager, release, deliver
):
    shipped = Release.objects.create(product=release.product, version="2.3.0")
    waiting = plan(request_from(make_ticket(), agent), product_manager, release)
    done = plan(request_from(make_ticket(), agent, title="Export in French"), product_manager, shipped)
    Release.objects.filter(pk=shipped.pk).update(released_at=timezone.now())
    for request in (waiting, done):
        request_transition(request=request, to="in_development", actor=product_manager, channel=Channel.WEB)
    outbox_drain()

    for iid in (1, 2):
        gitlab.set(iid, state="closed")
        deliver(gitlab_connection, *gitlab.issue_hook(iid, action="close", secret=WEBHOOK_SECRET))

    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.status == R.IN_DEVELOPMENT
    assert "no shipped target release" in SyncConflict.objects.get(request=waiting).note
    assert (done.status, done.delivered_release) == (R.DELIVERED, shipped)
