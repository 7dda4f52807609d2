import pytest
from django.core.exceptions import ValidationError

from core.audit import audit_history
from core.models import Channel, Notification
from defects.models import Comment, Defect
from defects.services.comments import comment_add, defect_thread, ticket_thread
from tests.factories import escalate, link, move, walk
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
SHARED, INTERNAL = Comment.Visibility.SHARED, Comment.Visibility.INTERNAL


def say(actor, body, visibility=SHARED, **where):
    return comment_add(actor=actor, channel=Channel.WEB, body=body, visibility=visibility, **where)


@pytest.fixture
def linked(make_ticket, agent, other_customer):
    first = make_ticket()
    second = make_ticket(subject="Also broken", customer=other_customer)
    defect = escalate(first, agent)
    link(second, defect, agent)
    return defect, first, second


def bodies(qs):
    return [c.body for c in qs]


def test_a_shared_defect_comment_appears_on_every_linked_ticket(linked, engineer, agent):
    defect, first, second = linked
    say(engineer, "Reproduced on 2.3.1", defect=defect)
    assert bodies(ticket_thread(first, agent)) == ["Reproduced on 2.3.1"]
    assert bodies(ticket_thread(second, agent)) == ["Reproduced on 2.3.1"]


def test_a_ticket_comment_shared_with_engineering_reaches_the_defect_but_not_other_customers(linked, engineer, agent):
    defect, first, second = linked
    say(agent, "Customer uses Chrome 120", ticket=first)
    assert bodies(defect_thread(defect, engineer)) == ["Customer uses Chrome 120"]
    assert bodies(ticket_thread(second, agent)) == []


def test_internal_comments_stay_on_their_side(linked, engineer, agent, manager):
    defect, first, _ = linked
    say(engineer, "Probably the cache layer", INTERNAL, defect=defect)
    say(agent, "Customer is grumpy", INTERNAL, ticket=first)

    assert bodies(defect_thread(defect, engineer)) == ["Probably the cache layer"]
    assert bodies(ticket_thread(first, engineer)) == []
    assert bodies(ticket_thread(first, agent)) == ["Customer is grumpy"]
    assert bodies(defect_thread(defect, agent)) == []
    # Managers read both sides, but an internal defect note still belongs to the defect only.
    assert bodies(defect_thread(defect, manager)) == ["Probably the cache layer"]
    assert bodies(ticket_thread(first, manager)) == ["Customer is grumpy"]


def test_the_side_comes_from_the_authors_role(linked, engineer, agent):
    defect, first, _ = linked
    assert say(engineer, "a", ticket=first).side == Comment.Side.ENGINEERING
    assert say(agent, "b", defect=defect).side == Comment.Side.HELPDESK


def test_the_agents_shared_answer_returns_a_needs_info_defect_where_it_was(linked, engineer, agent):
    defect, first, second = linked
    walk(defect, Defect.Status.IN_PROGRESS, engineer)
    move(defect, Defect.Status.NEEDS_INFO, engineer, reason="Which printer?")
    assert Ticket.objects.get(pk=first.pk).status == Ticket.Status.OPEN

    say(agent, "An HP LaserJet 4", ticket=first)

    defect.refresh_from_db()
    assert defect.status == Defect.Status.IN_PROGRESS
    assert audit_history(defect).filter(field="status", old="needs_info", new="in_progress", actor=agent).exists()
    assert [Ticket.objects.get(pk=t.pk).status for t in (first, second)] == [Ticket.Status.AWAITING_ENGINEERING] * 2


def test_an_internal_note_does_not_answer_engineering(linked, engineer, agent):
    defect, first, _ = linked
    move(defect, Defect.Status.NEEDS_INFO, engineer, reason="Which printer?")
    say(agent, "Must ask the customer", INTERNAL, ticket=first)
    assert Defect.objects.get(pk=defect.pk).status == Defect.Status.NEEDS_INFO


def test_an_engineers_shared_comment_notifies_the_tickets_agents(linked, engineer, agent):
    defect, *_ = linked
    say(engineer, "Fix is underway", defect=defect)
    assert Notification.objects.filter(user=agent, kind=Notification.Kind.COMMENT).count() == 2


def test_a_shared_ticket_comment_notifies_the_defects_team(linked, engineer, agent):
    defect, first, _ = linked
    say(agent, "More details", ticket=first)
    say(agent, "Just us", INTERNAL, ticket=first)
    assert Notification.objects.filter(user=engineer, kind=Notification.Kind.COMMENT).count() == 1


@pytest.mark.parametrize(
    "body,visibility,field", [("", SHARED, "body"), ("x" * 20001, SHARED, "body"), ("ok", "public", "visibility")]
)
def test_bad_comments_are_refused_by_field(linked, agent, body, visibility, field):
    defect, *_ = linked
    with pytest.raises(ValidationError) as excinfo:
        say(agent, body, visibility, defect=defect)
    assert field in excinfo.value.message_dict
    assert not Comment.objects.exists()


def test_a_comment_needs_exactly_one_place(linked, agent):
    defect, first, _ = linked
    with pytest.raises(ValidationError):
        say(agent, "x", defect=defect, ticket=first)
    with pytest.raises(ValidationError):
        say(agent, "x")


def test_comments_are_audited_on_what_they_were_added_to(linked, agent):
    _, first, _ = linked
    comment = say(agent, "hello", ticket=first)
    assert audit_history(first).filter(action="commented", new=f"comment {comment.pk} (shared)").exists()


def test_thread_reads_take_one_query_whatever_their_length(linked, engineer, agent, django_assert_num_queries):
    defect, first, _ = linked
    for i in range(5):
        say(engineer, f"e{i}", defect=defect)
        say(agent, f"a{i}", ticket=first)
    with django_assert_num_queries(1):
        thread = list(ticket_thread(first, agent))
        assert [c.author.username for c in thread]
    with django_assert_num_queries(1):
        assert len(list(defect_thread(defect, engineer))) == 10


def test_the_ticket_page_s_thread_read_with_its_defects_known_is_the_same_thread(
    linked, make_ticket, engineer, agent, manager, django_assert_num_queries
):
    from defects.selectors import ticket_thread_list

    defect, first, second = linked
    other = escalate(make_ticket(subject="Elsewhere"), agent, title="Another defect")
    say(engineer, "Shared on the defect", defect=defect)
    say(engineer, "Internal on the defect", INTERNAL, defect=defect)
    say(agent, "Internal on the ticket", INTERNAL, ticket=first)
    say(agent, "Shared from the other ticket", ticket=second)
    say(engineer, "On a defect this ticket is not linked to", defect=other)
    say(agent, "Shared on the ticket", ticket=first)

    for reader in (agent, engineer, manager):
        expected = bodies(ticket_thread(first, reader))  # also reads the reader's roles, once
        with django_assert_num_queries(1):
            known = bodies(ticket_thread_list(ticket=first, user=reader, defect_ids=[defect.pk]))
        assert known == expected
    assert bodies(ticket_thread_list(ticket=first, user=agent, defect_ids=[defect.pk])) == [
        "Shared on the defect", "Internal on the ticket", "Shared on the ticket",
    ]
