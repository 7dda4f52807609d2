"""Linking a defect to an issue that already exists in Jira or GitHub, by key or URL."""

import pytest
from django.core.exceptions import ValidationError

from core.models import Channel
from defects.models import Comment
from sync.models import ExternalIssue, OutboxItem
from sync.services.link_existing import defect_link_existing
from sync.services.push import outbox_drain
from tests.sync.connectors.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

Status = OutboxItem.Status


def test_linking_a_jira_key_supersedes_the_create_and_syncs_like_any_twin(
    jira, jira_connection, escalate, ticket, engineer, deliver
):
    existing = jira.add_issue("Renderer pool exhausted", status="In Progress", priority="Low")
    jira.comment_as(existing["key"], "Older discussion that stays in Jira.")
    defect = escalate(ticket)  # its create waits in the outbox

    twin = defect_link_existing(defect=defect, connection=jira_connection, reference=existing["key"].lower(),
                                actor=engineer, channel=Channel.WEB)
    outbox_drain()

    assert (twin.key, twin.external_id) == (existing["key"], existing["id"])
    assert len(jira.issues) == 1  # nothing was created
    create = OutboxItem.objects.get(kind="create")
    assert create.status == Status.DONE and create.note == f"Superseded: linked to {existing['key']}."
    defect.refresh_from_db()
    assert defect.status == "in_progress"  # the tracker keeps its status
    assert defect.title == "PDF export times out"  # the portal keeps its title
    assert existing["priority"] == "High" and existing["summary"] == "Renderer pool exhausted"
    assert f"handoff-{defect.key}" in existing["labels"]
    assert jira.remote_links[existing["id"]][f"handoff:{defect.key}"]["object"]["url"].endswith(f"/{defect.pk}/")
    assert not Comment.objects.filter(defect=defect).exists()

    comment = jira.comment_as(existing["key"], "New finding after the link.")
    deliver(jira_connection, *jira.webhook("comment_created", existing["key"], comment=comment,
                                           secret=WEBHOOK_SECRET))
    assert Comment.objects.get(defect=defect).body.startswith("New finding after the link.")


def test_an_engineer_links_a_github_issue_by_url_through_the_api(
    github, github_connection, escalate, ticket, engineer, api
):
    existing = github.add_issue("PDF timeouts", body="Seen by two customers.")
    defect = escalate(ticket)

    response = api(engineer).post(f"/api/defects/{defect.pk}/link-tracker/", {
        "connection": github_connection.pk, "reference": f"{github.web}/issues/{existing['number']}",
    }, format="json")
    outbox_drain()

    assert response.status_code == 201
    assert response.json()["key"] == f"acme/billing#{existing['number']}"
    assert len(github.issues) == 1
    assert existing["body"].startswith("Seen by two customers.\n\n---\nHandoff defect: " + defect.key)
    assert "severity: S2" in existing["labels"]


@pytest.mark.parametrize(("reference", "message"), [
    ("acme/billing#99", "No issue acme/billing#99"),
    ("other/repo#1", "not acme/billing"),
    ("not an issue", "is not a GitHub issue number or URL"),
])
def test_a_reference_that_names_no_issue_of_the_repository_is_refused_beside_the_field(
    github, github_connection, escalate, ticket, engineer, api, reference, message
):
    github.add_issue("Something")
    defect = escalate(ticket)

    response = api(engineer).post(f"/api/defects/{defect.pk}/link-tracker/",
                                  {"connection": github_connection.pk, "reference": reference}, format="json")

    assert response.status_code == 400
    assert message in str(response.json()["reference"])
    assert not ExternalIssue.objects.exists()
    assert not github_connection.__class__.objects.get(pk=github_connection.pk).paused


def test_an_issue_already_linked_to_another_defect_is_refused(
    jira, jira_connection, escalate, make_ticket, engineer
):
    existing = jira.add_issue("Shared root cause")
    first, second = escalate(make_ticket()), escalate(make_ticket(subject="Another"))
    defect_link_existing(defect=first, connection=jira_connection, reference=existing["key"], actor=engineer,
                         channel=Channel.WEB)

    with pytest.raises(ValidationError) as refused:
        defect_link_existing(defect=second, connection=jira_connection, reference=existing["key"],
                             actor=engineer, channel=Channel.WEB)

    assert f"already linked to {first.key}" in str(refused.value.message_dict["reference"])


def test_only_engineers_and_managers_may_link(jira_connection, escalate, ticket, agent, outsider, api):
    defect = escalate(ticket)
    body = {"connection": jira_connection.pk, "reference": "HD-1"}

    assert api(agent).post(f"/api/defects/{defect.pk}/link-tracker/", body, format="json").status_code == 403
    assert api(outsider).post(f"/api/defects/{defect.pk}/link-tracker/", body, format="json").status_code == 403
    assert api(None).post(f"/api/defects/{defect.pk}/link-tracker/", body, format="json").status_code in (401, 403)


def test_the_link_page_shows_errors_beside_the_field_and_links_on_success(
    jira, jira_connection, escalate, ticket, engineer, agent, client
):
    existing = jira.add_issue("Renderer pool exhausted")
    defect = escalate(ticket)
    client.force_login(engineer)
    assert "Link to an existing Jira, GitHub or Redmine issue" in client.get(f"/defects/{defect.pk}/").content.decode()

    refused = client.post(f"/defects/{defect.pk}/link-tracker/",
                          {"connection": jira_connection.pk, "reference": "HD-404"})
    linked = client.post(f"/defects/{defect.pk}/link-tracker/",
                         {"connection": jira_connection.pk, "reference": existing["key"]})

    assert refused.status_code == 200
    assert "No issue HD-404 in Jira Cloud" in refused.content.decode()
    assert linked.status_code == 302 and linked["Location"] == f"/defects/{defect.pk}/"
    assert ExternalIssue.objects.get(defect=defect).key == existing["key"]
    client.force_login(agent)
    assert "link-tracker" not in client.get(f"/defects/{defect.pk}/").content.decode()
    assert client.get(f"/defects/{defect.pk}/link-tracker/").status_code == 403
