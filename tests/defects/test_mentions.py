import pytest
from django.urls import reverse

from core.models import Channel, Notification
from defects.models import Comment
from defects.services.comments import comment_add, comment_edit
from tests.factories import escalate

pytestmark = pytest.mark.django_db
SHARED, INTERNAL = Comment.Visibility.SHARED, Comment.Visibility.INTERNAL


def say(actor, body, visibility=SHARED, **where):
    return comment_add(actor=actor, channel=Channel.WEB, body=body, visibility=visibility, **where)


def mentions_of(user):
    return list(Notification.objects.filter(user=user, kind=Notification.Kind.MENTION))


def test_a_mention_on_a_ticket_notifies_that_user_with_a_link_to_the_comment(ticket, agent, other_agent):
    comment = say(agent, f"@{other_agent.username.upper()} can you call them back?", ticket=ticket)

    (note,) = mentions_of(other_agent)
    assert note.message == f"{agent.username} mentioned you in a comment on {ticket.number}"
    assert note.url == reverse("tickets:detail", args=[ticket.pk]) + f"#comment-{comment.pk}"
    assert note.actor == agent
    assert mentions_of(agent) == []


def test_a_mention_on_a_defect_reaches_every_role_that_reads_defects(ticket, agent, engineer, product_manager):
    defect = escalate(ticket, agent)
    say(engineer, f"@{agent.username} @{product_manager.username} is this a feature request?", defect=defect)

    assert mentions_of(agent)[0].url.startswith(reverse("defects:detail", args=[defect.pk]))
    assert len(mentions_of(product_manager)) == 1


def test_an_internal_note_notifies_only_people_of_its_own_side(ticket, agent, other_agent, engineer, manager):
    say(agent, f"@{other_agent.username} @{engineer.username} @{manager.username} keep an eye on this",
        INTERNAL, ticket=ticket)

    assert len(mentions_of(other_agent)) == 1 and len(mentions_of(manager)) == 1
    assert mentions_of(engineer) == []


def test_an_engineer_hears_of_a_ticket_mention_only_once_the_ticket_is_escalated(
    make_ticket, agent, engineer
):
    quiet, escalated = make_ticket(subject="Quiet"), make_ticket(subject="Escalated")
    escalate(escalated, agent)
    say(agent, f"@{engineer.username} FYI", ticket=quiet)
    say(agent, f"@{engineer.username} FYI", ticket=escalated)

    assert [note.message for note in mentions_of(engineer)] == [
        f"{agent.username} mentioned you in a comment on {escalated.number}"
    ]


def test_unknown_inactive_and_roleless_names_notify_nobody(ticket, agent, other_agent, outsider):
    other_agent.is_active = False
    other_agent.save()
    say(agent, f"@nobody-here @{other_agent.username} @{outsider.username} hello", ticket=ticket)
    assert not Notification.objects.filter(kind=Notification.Kind.MENTION).exists()


def test_an_edit_notifies_only_the_people_it_adds(ticket, agent, other_agent, manager):
    comment = say(agent, f"@{other_agent.username} please check", ticket=ticket)
    comment_edit(comment=comment, actor=agent, channel=Channel.WEB,
                 body=f"@{other_agent.username} please check, and @{manager.username} too")

    assert len(mentions_of(other_agent)) == 1
    assert len(mentions_of(manager)) == 1


def test_a_mention_posted_on_the_ticket_page_notifies_and_is_drawn_as_a_mention(client, ticket, agent, other_agent):
    client.force_login(agent)
    client.post(reverse("tickets:comment", args=[ticket.pk]),
                {"body": f"Over to you @{other_agent.username}", "visibility": "shared"})

    assert len(mentions_of(other_agent)) == 1
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f'<span class="mention">@{other_agent.username}</span>' in html


def test_a_mention_through_the_api_notifies_too(api, ticket, agent, engineer):
    defect = escalate(ticket, agent)
    response = api(engineer).post(f"/api/defects/{defect.pk}/comments/",
                                  {"body": f"@{agent.username} which browser?", "visibility": "shared"}, format="json")
    assert response.status_code == 201, response.content
    assert len(mentions_of(agent)) == 1
