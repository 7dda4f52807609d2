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


def _subjects(user, count: int) -> None:
    for n in range(count):
        notify(users=[user], kind="comment", message=f"About ticket {n}", url=f"/tickets/{n}/")


def test_the_list_pages_its_entries_newest_first_counted_as_they_are_read(as_user, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _subjects(agent, 60)
    client = as_user(agent)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/notifications/").content.decode()
    # The page of groups with their count, then their latest messages: the groups are
    # not grouped a second time to be counted.
    notes = [q["sql"] for q in captured.captured_queries if "handoff_notification" in q["sql"]]
    assert len(notes) == 2 and "COUNT(*) OVER ()" in notes[0]
    assert first.count('id="notification-') == 50
    assert "About ticket 59" in first and "About ticket 9<" not in first
    assert "<span>Page 1 of 2</span>" in first and '<a href="?page=2">Next &rarr;</a>' in first

    second = client.get("/notifications/?page=2").content.decode()
    assert second.count('id="notification-') == 10 and "About ticket 9<" in second
    assert "<span>Page 2 of 2</span>" in second
    assert "The list covers your newest 2,000 notifications" in second

    # Past the end, or not a number: the last page, or the first.
    assert "<span>Page 2 of 2</span>" in client.get("/notifications/?page=9").content.decode()
    assert "<span>Page 1 of 2</span>" in client.get("/notifications/?page=x").content.decode()


def test_an_entrys_open_button_posts_to_the_page_that_marks_it_read_and_follows_its_link(agent):
    """The page's own form, as a browser sends it: its action, its token, its button."""
    import re

    from django.test import Client

    notify(users=[agent], kind="comment", message="Look", url="/tickets/5/")
    notify(users=[agent], kind="comment", message="Look again", url="/tickets/5/")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    html = browser.get("/notifications/").content.decode()
    entry_form = r'<form method="post" action="([^"]+)"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"'
    action, token = re.search(entry_form, html[html.index("<tbody>"):]).groups()

    response = browser.post(action, {"csrfmiddlewaretoken": token, "open": "1"})

    # Not the API's action of the same name, which answers JSON and marks one message.
    assert not action.startswith("/api/")
    assert response.status_code == 302 and response["Location"] == "/tickets/5/"
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()
