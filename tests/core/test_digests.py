"""Notification emails one by one, or as an hourly or daily digest the user chose."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from core.digests import digest_send, digests_send_due
from core.models import Channel, Notification, Preference
from core.notifications import notify
from core.preferences import preference_update

pytestmark = pytest.mark.django_db
K = Notification.Kind


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _choose(user, digest: str, *, since=None) -> Preference:
    pref = preference_update(user=user, digest=digest, time_zone="", actor=user, channel=Channel.WEB)
    if since is not None:
        Preference.objects.filter(pk=pref.pk).update(digest_from=since)
    return pref


def _flood(user) -> None:
    for event in range(3):
        for ticket in (1, 2):
            notify(users=[user], kind=K.DEFECT_STATUS, message=f"DEF-1 for HD-{ticket}: step {event}",
                   url=f"/tickets/{ticket}/")


def test_without_a_choice_each_notification_is_emailed_at_once(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (note,) = notify(users=[agent], kind=K.COMMENT, message="Hello", url="/tickets/1/")
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


def test_a_user_on_a_digest_gets_no_email_per_notification(agent, other_agent, django_capture_on_commit_callbacks):
    _choose(agent, Preference.Digest.HOURLY)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[agent, other_agent], kind=K.COMMENT, message="Hello", url="/tickets/1/")
    assert [m.to for m in mail.outbox] == [[other_agent.email]]
    assert Notification.objects.get(user=agent).emailed_at is None


def test_the_hourly_digest_sends_one_email_grouped_by_ticket_then_nothing_more(
    agent, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(hours=2)
    _choose(agent, Preference.Digest.HOURLY, since=start)
    _flood(agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send_due() == 1
    (sent,) = mail.outbox
    assert sent.to == [agent.email]
    assert sent.subject == "[Handoff] 2 updates in the last hour"
    assert "DEF-1 for HD-2: step 2 (3 updates)" in sent.body
    assert "step 1" not in sent.body
    assert f"{settings.HANDOFF_BASE_URL.rstrip('/')}/tickets/1/" in sent.body
    assert not Notification.objects.filter(user=agent, emailed_at__isnull=True).exists()

    # Run again at once (a second beat, a retried task): nothing is due, nothing is sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send_due() == 0
        assert digest_send(user_id=agent.pk, now=timezone.now() + timedelta(hours=2)) == 0
    assert len(mail.outbox) == 1


def test_a_digest_waits_for_its_period_and_leaves_out_what_was_read(agent, django_capture_on_commit_callbacks):
    _choose(agent, Preference.Digest.DAILY)
    _flood(agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send_due(now=timezone.now() + timedelta(hours=23)) == 0
    assert mail.outbox == []

    Notification.objects.filter(user=agent, subject="/tickets/1/").update(read_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send_due(now=timezone.now() + timedelta(hours=25)) == 1
    (sent,) = mail.outbox
    assert sent.subject == "[Handoff] 1 update in the last day"
    assert "HD-2" in sent.body and "HD-1" not in sent.body


def test_choosing_a_digest_does_not_resend_what_came_before(agent, django_capture_on_commit_callbacks):
    agent.email = ""
    agent.save()
    notify(users=[agent], kind=K.COMMENT, message="Before the choice", url="/tickets/1/")
    agent.email = "agent@example.com"
    agent.save()
    _choose(agent, Preference.Digest.HOURLY)
    notify(users=[agent], kind=K.COMMENT, message="After the choice", url="/tickets/2/")
    with django_capture_on_commit_callbacks(execute=True):
        digests_send_due(now=timezone.now() + timedelta(hours=2))
    (sent,) = mail.outbox
    assert "After the choice" in sent.body and "Before the choice" not in sent.body


def test_the_digest_task_runs_every_few_minutes_on_the_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["notification-digests"]
    assert entry["task"] == "core.send_digests"
    from celery import current_app

    assert "core.send_digests" in current_app.tasks


def test_the_preferences_page_sets_the_digest_and_time_zone_audited(as_user, agent):
    from core.audit import audit_history

    client = as_user(agent)
    page = client.get("/account/preferences/").content.decode()
    assert "Hourly: one email with what happened in the hour" in page
    response = client.post("/account/preferences/", {"digest": "daily", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    pref = Preference.objects.get(user=agent)
    assert (pref.digest, pref.time_zone) == ("daily", "Europe/Paris")
    assert {e.field for e in audit_history(pref)} == {"digest", "time_zone"}

    bad = client.post("/account/preferences/", {"digest": "weekly", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert Preference.objects.get(user=agent).digest == "daily"


def test_the_preferences_page_needs_a_login(client):
    assert client.get("/account/preferences/").status_code == 302
