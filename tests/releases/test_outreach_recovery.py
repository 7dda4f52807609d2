"""Release notices over real SMTP, and a sender that dies in the middle of one."""

from datetime import timedelta

import pytest
from django.utils import timezone

import releases.services.outreach as outreach
from core.audit import audit_history
from core.models import Channel
from releases.models import ReleaseNotice
from releases.services.outreach import release_queue_notices, release_recover_notices, release_send_notices
from releases.services.ship import release_ship
from releases.tasks import recover_release_notices
from tests.fakes.smtp_server import FakeSMTP

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):
    """What a SIGKILL looks like to the code after it: nothing below this point runs."""


@pytest.fixture
def smtp(settings):
    with FakeSMTP() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture
def shipped(release, manager, fixed_in, make_ticket, contact):
    fixed_in(release, ticket=make_ticket(contact=contact, subject="Export times out"))
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    release_queue_notices(release=release, actor=manager, channel=Channel.WEB)  # no commit: not sent yet
    return release


def later():
    return timezone.now() + timedelta(seconds=901)


def test_each_notice_goes_out_once_with_the_message_id_stored_before_sending(shipped, smtp):
    assert release_send_notices(release=shipped) == 1

    notice = ReleaseNotice.objects.get(release=shipped)
    assert notice.status == ReleaseNotice.Status.SENT
    assert notice.message_id.startswith("<") and notice.accepted_at is not None
    assert smtp.by_message_id() == {notice.message_id: 1}


def test_a_sender_that_died_after_the_server_accepted_is_marked_sent_not_sent_again(
    shipped, smtp, monkeypatch
):
    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(outreach, "_mark_sent", die)
    with pytest.raises(WorkerDied):
        release_send_notices(release=shipped)
    monkeypatch.undo()
    notice = ReleaseNotice.objects.get(release=shipped)
    assert notice.status == ReleaseNotice.Status.SENDING and notice.accepted_at is not None

    assert release_recover_notices() == {"sent": 0, "retried": 0}  # not stale yet: the sender may be alive
    assert release_recover_notices(now=later()) == {"sent": 1, "retried": 0}

    notice.refresh_from_db()
    assert notice.status == ReleaseNotice.Status.SENT and notice.sent_at == notice.accepted_at
    assert smtp.by_message_id() == {notice.message_id: 1}
    assert audit_history(shipped).filter(action="customer_notified").count() == 1
    assert release_recover_notices(now=later()) == {"sent": 0, "retried": 0}


def test_a_sender_that_died_before_the_server_accepted_is_retried_with_the_same_message_id(
    shipped, smtp, monkeypatch
):
    def die(self, fail_silently=False):
        raise WorkerDied

    monkeypatch.setattr(outreach.EmailMessage, "send", die)
    with pytest.raises(WorkerDied):
        release_send_notices(release=shipped)
    monkeypatch.undo()
    notice = ReleaseNotice.objects.get(release=shipped)
    assert notice.status == ReleaseNotice.Status.SENDING and notice.accepted_at is None
    assert smtp.messages == []
    first_id = notice.message_id

    # The periodic task's recovery puts it back and queues the release's sending (in-process here).
    assert release_recover_notices(now=later()) == {"sent": 0, "retried": 1}

    notice.refresh_from_db()
    assert notice.status == ReleaseNotice.Status.SENT
    assert notice.message_id == first_id
    assert smtp.by_message_id() == {first_id: 1}


def test_the_periodic_task_leaves_a_fresh_sending_notice_alone(shipped, smtp):
    ReleaseNotice.objects.filter(release=shipped).update(
        status=ReleaseNotice.Status.SENDING, claimed_at=timezone.now(), message_id="<a@b>"
    )

    assert recover_release_notices() == {"sent": 0, "retried": 0}
    assert ReleaseNotice.objects.get(release=shipped).status == ReleaseNotice.Status.SENDING
    assert smtp.messages == []
