import pytest
from django.core import mail

from core.models import Notification
from core.notifications import notifications_mark_read, notify, unread_count

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_notify_writes_one_row_per_user_and_emails_each_after_commit(
    agent, other_agent, engineer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(
            users=[agent, other_agent, agent, None], kind="defect_status", message="DEF-1 is now triage",
            url="/tickets/1/", actor=engineer,
        )
    assert len(rows) == 2
    assert sorted(m.to for m in mail.outbox) == [[agent.email], [other_agent.email]]
    assert mail.outbox[0].subject == "[Handoff] DEF-1 is now triage"
    assert "http://127.0.0.1:8000/tickets/1/" in mail.outbox[0].body
    assert Notification.objects.get(user=agent).actor == engineer


def test_nothing_is_emailed_when_the_change_rolls_back(agent, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(users=[agent], kind="routed", message="x")
                raise RuntimeError
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_line_breaks_in_a_message_never_reach_the_mail_subject(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[agent], kind="needs_info", message="Which printer?\r\nBcc: everyone@example.com")
    (sent,) = mail.outbox
    assert sent.subject == "[Handoff] Which printer? Bcc: everyone@example.com"
    assert "Which printer?\r\nBcc" in sent.body


def test_users_without_an_address_are_notified_in_the_app_only(agent, django_capture_on_commit_callbacks):
    agent.email = ""
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[agent], kind="comment", message="x")
    assert mail.outbox == []
    assert Notification.objects.filter(user=agent).count() == 1


def test_the_actor_never_notifies_themselves(agent):
    assert notify(users=[agent], kind="comment", message="x", actor=agent) == []


def test_an_unknown_kind_is_a_programming_error(agent):
    with pytest.raises(ValueError):
        notify(users=[agent], kind="gossip", message="x")


def test_mark_read_touches_only_my_unread_rows(agent, other_agent):
    mine = notify(users=[agent], kind="comment", message="a") + notify(users=[agent], kind="comment", message="b")
    notify(users=[other_agent], kind="comment", message="c")
    assert notifications_mark_read(user=agent, ids=[mine[0].pk]) == 1
    assert unread_count(agent) == 1
    assert notifications_mark_read(user=agent) == 1
    assert unread_count(agent) == 0
    assert unread_count(other_agent) == 1
