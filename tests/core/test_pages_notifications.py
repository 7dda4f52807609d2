import pytest

from core.models import Notification
from core.notifications import notify

pytestmark = pytest.mark.django_db


def test_my_notifications_are_listed_newest_first(as_user, agent, other_agent):
    notify(users=[agent], kind="comment", message="First")
    notify(users=[agent], kind="needs_info", message="Second")
    notify(users=[other_agent], kind="comment", message="Not mine")
    html = as_user(agent).get("/notifications/").content.decode()
    assert html.index("Second") < html.index("First")
    assert "Not mine" not in html


def test_marking_one_read_and_following_its_link(as_user, agent):
    (note,) = notify(users=[agent], kind="comment", message="Look", url="/tickets/5/")
    response = as_user(agent).post(f"/notifications/{note.pk}/read/", {"open": "1"})
    assert response["Location"] == "/tickets/5/"
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_someone_elses_notification_is_a_404(as_user, agent, other_agent):
    (note,) = notify(users=[other_agent], kind="comment", message="x")
    assert as_user(agent).post(f"/notifications/{note.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_mark_all_read(as_user, agent, other_agent):
    notify(users=[agent, other_agent], kind="comment", message="x")
    notify(users=[agent], kind="comment", message="y")
    response = as_user(agent).post("/notifications/read-all/", follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert Notification.objects.filter(user=other_agent, read_at__isnull=True).count() == 1


def test_marking_read_needs_post_and_a_login(client, as_user, agent):
    (note,) = notify(users=[agent], kind="comment", message="x")
    assert client.get("/notifications/").status_code == 302
    assert as_user(agent).get(f"/notifications/{note.pk}/read/").status_code == 405
