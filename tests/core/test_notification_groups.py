"""One entry per ticket, defect or request; filters; what needs action stays on top of the dashboard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Notification
from core.notifications import dashboard_inbox, notification_groups, notify
from tests.querycount import get_query_count

pytestmark = pytest.mark.django_db
K = Notification.Kind


def _flood(user, *, tickets: int, events: int) -> None:
    """One defect's life as it reaches an agent: every event, once per ticket."""
    for event in range(events):
        for ticket in range(1, tickets + 1):
            notify(users=[user], kind=K.DEFECT_STATUS, message=f"DEF-1 for HD-{ticket}: step {event}",
                   url=f"/tickets/{ticket}/")


def test_a_defects_life_is_one_entry_per_ticket_with_its_latest_change_and_a_count(agent):
    _flood(agent, tickets=5, events=9)
    groups = notification_groups(agent, limit=50)
    assert len(groups) == 5
    assert {g.subject for g in groups} == {f"/tickets/{n}/" for n in range(1, 6)}
    assert all(g.count == 9 and g.unread == 9 for g in groups)
    assert all(g.latest.message.endswith("step 8") for g in groups)
    # The ticket that changed last comes first.
    assert groups[0].subject == "/tickets/5/"


def test_the_page_lists_45_notifications_as_5_entries_with_their_counts(as_user, agent):
    _flood(agent, tickets=5, events=9)
    html = as_user(agent).get("/notifications/").content.decode()
    assert html.count('id="notification-') == 5
    assert html.count("9 updates") == 5
    assert "step 8" in html and "step 7" not in html


def test_opening_an_entry_marks_everything_about_that_ticket_read(as_user, agent):
    _flood(agent, tickets=2, events=3)
    latest = Notification.objects.filter(subject="/tickets/1/").latest("id")
    response = as_user(agent).post(f"/notifications/{latest.pk}/read/", {"open": "1"})
    assert response["Location"] == "/tickets/1/"
    assert not Notification.objects.filter(subject="/tickets/1/", read_at__isnull=True).exists()
    assert Notification.objects.filter(subject="/tickets/2/", read_at__isnull=True).count() == 3


def test_the_api_marks_one_notification_or_its_whole_group_read(api, agent):
    _flood(agent, tickets=2, events=3)
    first, second = Notification.objects.filter(subject="/tickets/1/").order_by("id")[:2]

    one = api(agent).post(f"/api/notifications/{first.pk}/read/", {}, format="json")
    group = api(agent).post(f"/api/notifications/{second.pk}/read/", {"group": True}, format="json")
    bad = api(agent).post(f"/api/notifications/{second.pk}/read/", {"group": "perhaps"}, format="json")

    assert (one.json(), group.json()) == ({"marked": 1}, {"marked": 2})
    assert bad.status_code == 400 and "group" in bad.json()
    assert not Notification.objects.filter(subject="/tickets/1/", read_at__isnull=True).exists()
    assert Notification.objects.filter(subject="/tickets/2/", read_at__isnull=True).count() == 3


def test_the_filters_show_mine_questions_from_engineering_and_released_fixes(as_user, agent):
    notify(users=[agent], kind=K.NEEDS_INFO, message="Which browser?", url="/tickets/1/")
    notify(users=[agent], kind=K.RELEASED, message="Fixed in 2.4.1, released", url="/tickets/2/")
    notify(users=[agent], kind=K.COMMENT, message="Team news", url="/defects/3/", team_wide=True)

    def shown(show: str) -> set[str]:
        return {g.latest.message for g in notification_groups(agent, show, limit=50)}

    assert shown("needs_info") == {"Which browser?"}
    assert shown("released") == {"Fixed in 2.4.1, released"}
    assert shown("mine") == {"Which browser?", "Fixed in 2.4.1, released"}
    assert len(shown("")) == 3

    client = as_user(agent)
    html = client.get("/notifications/?show=needs_info").content.decode()
    assert "Which browser?" in html and "Team news" not in html
    assert '<a href="/notifications/?show=needs_info" aria-current="page">Needs information</a>' in html
    # An unknown filter shows everything rather than failing.
    assert "Team news" in client.get("/notifications/?show=nonsense").content.decode()


def test_a_released_fix_is_told_as_released(agent, engineer, two_tickets_fixed_and_shipped):
    notes = Notification.objects.filter(user=agent, kind=K.RELEASED)
    assert notes.exists()
    assert all("Tell the customer" in note.message for note in notes)


@pytest.fixture
def two_tickets_fixed_and_shipped(agent, engineer, manager, make_ticket, release):
    from django.utils import timezone

    from defects.models import Defect
    from tests.factories import escalate, link, move, walk

    defect = escalate(make_ticket(subject="One"), agent)
    link(make_ticket(subject="Two"), defect, agent)
    Defect.objects.filter(pk=defect.pk).update(fixed_in_release=release)
    walk(defect, Defect.Status.FIXED, engineer)
    release.status, release.released_at = "released", timezone.now()
    release.save()
    move(defect, Defect.Status.RELEASED, manager, via_release=True)
    return defect


def test_the_list_costs_the_same_queries_for_3_or_30_subjects(as_user, agent):
    client = as_user(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/notifications/").status_code == 200
        return len(captured.captured_queries)

    _flood(agent, tickets=3, events=2)
    few = queries()
    _flood(agent, tickets=30, events=3)
    assert queries() == few


def test_the_api_lists_groups_and_filters_in_constant_queries(api, agent):
    _flood(agent, tickets=3, events=2)
    notify(users=[agent], kind=K.NEEDS_INFO, message="Which browser?", url="/tickets/9/")
    answer = api(agent).get("/api/notifications/groups/").json()
    assert answer["count"] == 4
    first = answer["results"][0]
    assert first["subject"] == "/tickets/9/" and first["count"] == 1 and first["unread"] == 1
    assert first["latest"]["message"] == "Which browser?"
    others = {row["subject"]: row["count"] for row in answer["results"][1:]}
    assert others == {"/tickets/1/": 2, "/tickets/2/": 2, "/tickets/3/": 2}

    needs_info = api(agent).get("/api/notifications/?show=needs_info").json()
    assert [row["message"] for row in needs_info["results"]] == ["Which browser?"]
    assert api(agent).get("/api/notifications/?show=everything").status_code == 400

    few = get_query_count(agent, "/api/notifications/groups/")
    _flood(agent, tickets=20, events=2)
    assert get_query_count(agent, "/api/notifications/groups/") == few


def test_a_question_from_engineering_never_scrolls_off_the_dashboard(as_user, agent):
    notify(users=[agent], kind=K.NEEDS_INFO, message="Which printer model?", url="/tickets/7/")
    _flood(agent, tickets=12, events=4)
    inbox = dashboard_inbox(agent)
    assert [g.latest.message for g in inbox.needs_action] == ["Which printer model?"]
    assert len(inbox.latest) == 5 and all(g.subject != "/tickets/7/" for g in inbox.latest)

    html = as_user(agent).get("/").content.decode()
    assert html.index('id="needs-action"') < html.index('id="latest-notifications"')
    assert "Which printer model?" in html.split('id="needs-action"', 1)[1].split("</section>", 1)[0]


def test_once_read_the_question_leaves_the_top_of_the_dashboard(agent):
    (note,) = notify(users=[agent], kind=K.NEEDS_INFO, message="Which printer model?", url="/tickets/7/")
    note.read_at = note.created_at
    note.save()
    assert dashboard_inbox(agent).needs_action == []


def test_team_wide_news_is_marked_as_such(engineer, team, agent, make_ticket):
    from tests.factories import escalate

    escalate(make_ticket(), agent)
    routed = Notification.objects.get(user=engineer, kind=K.ROUTED)
    assert routed.team_wide is True
    assert routed.subject.startswith("/defects/")


def test_the_list_groups_only_the_newest_messages_and_counts_within_them(as_user, api, agent, monkeypatch):
    from core import notifications

    monkeypatch.setattr(notifications, "GROUPED_WINDOW", 6)
    # Ticket 1's three old messages, then ticket 2's and ticket 3's: the newest six are all but two of ticket 1's.
    for ticket, events in ((1, 3), (2, 3), (3, 2)):
        for event in range(events):
            notify(users=[agent], kind=K.DEFECT_STATUS, message=f"HD-{ticket}: step {event}", url=f"/tickets/{ticket}/")

    groups = notification_groups(agent, limit=50)
    assert [(g.subject, g.count) for g in groups] == [("/tickets/3/", 2), ("/tickets/2/", 3), ("/tickets/1/", 1)]
    answer = api(agent).get("/api/notifications/groups/").json()
    assert answer["count"] == 3 and [row["count"] for row in answer["results"]] == [2, 3, 1]
    # Older messages stay stored and are marked read with their subject.
    assert as_user(agent).post(f"/notifications/{groups[2].latest.pk}/read/", {"open": "1"}).status_code == 302
    assert not Notification.objects.filter(user=agent, subject="/tickets/1/", read_at__isnull=True).exists()


def test_the_last_page_says_how_far_back_the_list_goes(as_user, agent):
    _flood(agent, tickets=2, events=1)
    html = as_user(agent).get("/notifications/").content.decode()
    assert "The list covers your newest 2,000 notifications" in html


def test_the_api_counts_the_groups_as_it_reads_a_page_of_them(api, agent):
    _flood(agent, tickets=60, events=1)
    client = api(agent)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/api/notifications/groups/").json()
    notes = [q["sql"] for q in captured.captured_queries if "handoff_notification" in q["sql"]]
    # The page with its count, then the groups' latest messages: no second grouping to count them.
    assert len(notes) == 2 and "COUNT(*) OVER ()" in notes[0]
    assert first["count"] == 60 and len(first["results"]) == 50 and first["next"].endswith("page=2")

    second = client.get("/api/notifications/groups/?page=2").json()
    assert second["count"] == 60 and len(second["results"]) == 10 and second["next"] is None
    assert {row["subject"] for row in first["results"] + second["results"]} == {
        f"/tickets/{n}/" for n in range(1, 61)
    }
    assert client.get("/api/notifications/groups/?page=3").status_code == 404
