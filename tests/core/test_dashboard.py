import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.notifications import notify
from defects.models import Defect
from tests.factories import escalate, move, walk
from tickets.dashboard import SECTION_ROWS, manager_board

pytestmark = pytest.mark.django_db
S = Defect.Status


def section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def test_the_agent_sees_tickets_awaiting_engineering_needing_information_and_fixed(
    as_user, agent, engineer, make_ticket
):
    waiting, asked, fixed = (make_ticket(subject=s) for s in ("Waiting one", "Asked one", "Fixed one"))
    escalate(waiting, agent)
    move(escalate(asked, agent), S.NEEDS_INFO, engineer, reason="Which?")
    walk(escalate(fixed, agent), S.FIXED, engineer)

    html = as_user(agent).get("/").content.decode()
    assert waiting.number in section(html, "awaiting-engineering")
    assert asked.number in section(html, "needs-info") and asked.number not in section(html, "awaiting-engineering")
    assert fixed.number in section(html, "fixed")
    assert 'id="open-by-team"' not in html and 'id="my-queue"' not in html


def test_the_agent_sees_each_defect_with_its_planned_or_fixed_release(as_user, agent, engineer, make_ticket, product):
    from core.models import Channel
    from defects.services.changes import defect_update
    from releases.models import Release

    planned, shipped = (Release.objects.create(product=product, version=v) for v in ("3.1.0", "3.0.2"))
    waiting = walk(escalate(make_ticket(subject="Waiting one"), agent), S.IN_PROGRESS, engineer)
    defect_update(defect=waiting, actor=engineer, channel=Channel.WEB, planned_release=planned)
    fixed = walk(escalate(make_ticket(subject="Fixed one"), agent), S.IN_VERIFICATION, engineer)
    defect_update(defect=fixed, actor=engineer, channel=Channel.WEB, fixed_in_release=shipped)
    move(fixed, S.FIXED, engineer)

    html = as_user(agent).get("/").content.decode()
    assert f'{waiting.key} <span class="badge eng-in_progress">In progress</span>' in section(
        html, "awaiting-engineering"
    )
    assert "planned 3.1.0 (estimate)" in section(html, "awaiting-engineering")
    assert "fixed in 3.0.2" in section(html, "fixed")


def test_the_agent_sees_only_their_own_tickets(as_user, agent, other_agent, make_ticket):
    theirs = make_ticket(subject="Theirs", assignee=other_agent)
    escalate(theirs, agent)
    assert theirs.number not in as_user(agent).get("/").content.decode()


def test_the_engineer_sees_their_queue_by_severity(as_user, agent, engineer, make_ticket, other_team):
    escalate(make_ticket(), agent, title="Mine S2")
    theirs = escalate(make_ticket(), agent, title="Not mine")
    Defect.objects.filter(pk=theirs.pk).update(team=other_team)
    html = as_user(engineer).get("/").content.decode()
    queue = section(html, "my-queue")
    assert "Mine S2" in queue and "Not mine" not in queue
    assert re.search(r"S2</span>\s*1", queue)
    assert 'id="needs-info"' not in html


def test_the_manager_sees_open_defects_by_team_and_severity(as_user, agent, manager, engineer, make_ticket, other_team):
    escalate(make_ticket(), agent, title="A")
    escalate(make_ticket(), agent, title="B", severity="S1", severity_reason="Outage")
    other = escalate(make_ticket(), agent, title="C")
    Defect.objects.filter(pk=other.pk).update(team=None)
    move(escalate(make_ticket(), agent, title="Closed"), S.WONT_FIX, engineer, reason="No")

    table = section(as_user(manager).get("/").content.decode(), "open-by-team")
    rows = re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", table, re.S)
    cells = {name: re.findall(r">(\d+)<", nums) for name, nums in rows}
    assert cells == {"Billing engineering": ["1", "1", "0", "0", "2"], "Unrouted": ["0", "1", "0", "0", "1"]}


def test_the_dashboard_needs_a_role_and_a_login(client, as_user, outsider):
    assert client.get("/").status_code == 302
    assert as_user(outsider).get("/").status_code == 403


def test_unread_notifications_show_on_the_dashboard(as_user, agent):
    notify(users=[agent], kind="comment", message="Hello from engineering", url="/tickets/1/")
    html = as_user(agent).get("/").content.decode()
    assert "Hello from engineering" in html and "(1 unread)" in html


def _queries(client) -> int:
    """Queries of a view of the dashboard, after a first view has drawn the inbox it keeps."""
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries.captured_queries)


def _notification_reads(client) -> tuple[str, int]:
    """The dashboard, and how many of its queries read notifications."""
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()
    return html, sum('"handoff_notification"' in q["sql"] for q in queries.captured_queries)


def test_the_inbox_is_kept_until_a_message_arrives_or_is_read(as_user, agent):
    from core.models import Notification

    notify(users=[agent], kind="comment", message="First word", url="/tickets/1/")
    notify(users=[agent], kind="needs_info", message="Which version?", url="/tickets/2/")
    client = as_user(agent)
    html, drawn = _notification_reads(client)
    assert "First word" in html and "Which version?" in section(html, "needs-action") and "(2 unread)" in html
    html, kept = _notification_reads(client)
    # Kept as markup, not as text to escape again.
    assert '<li class="unread"><a href="/tickets/1/">First word</a>' in html and "(2 unread)" in html
    assert kept == 1 < drawn  # the state alone (how many unread, the newest), not the groups again

    notify(users=[agent], kind="comment", message="Second word", url="/tickets/3/")
    html, reads = _notification_reads(client)
    assert "Second word" in html and "(3 unread)" in html and reads == drawn

    question = Notification.objects.get(user=agent, kind="needs_info")
    assert client.post(f"/notifications/{question.pk}/read/").status_code == 302
    html, _ = _notification_reads(client)
    assert "Which version?" not in html and 'id="needs-action"' not in html and "(2 unread)" in html

    assert client.post("/notifications/read-all/").status_code == 302
    html, reads = _notification_reads(client)
    assert "First word" not in html and "Second word" not in html and "unread)" not in html
    assert reads == 1  # nothing unread: nothing more to read or keep


def test_the_dashboard_costs_the_same_queries_for_3_or_30_tickets(as_user, manager, agent, make_ticket, team):
    team.members.add(manager)
    for group in ("Agents", "Engineers"):
        from django.contrib.auth.models import Group

        manager.groups.add(Group.objects.get(name=group))

    def add(n):
        for i in range(n):
            escalate(make_ticket(subject=f"t{i}", assignee=manager), agent, title=f"Problem {i}")

    client = as_user(manager)
    add(3)
    few = _queries(client)
    add(27)
    html = client.get("/").content.decode()
    awaiting = section(html, "awaiting-engineering")
    assert "(30)" in awaiting and awaiting.count("<li>") == SECTION_ROWS
    assert f"and {30 - SECTION_ROWS} more" in awaiting
    assert _queries(client) == few


def test_the_manager_s_counts_read_only_the_open_defects_through_their_status_index(agent, make_ticket):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    escalate(make_ticket(), agent, title="A")
    with CaptureQueriesContext(connection) as queries:
        manager_board()
    (counting,) = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    with connection.cursor() as cursor:
        # On a handful of rows the planner prefers a scan; forbidding it shows the index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + counting)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The open statuses are the index's condition (not a filter over every defect); on a
    # few rows the planner reads them as a bitmap, on many rows from the index alone.
    assert "on defect_status_team" in plan and "Index Cond: ((status)::text = ANY" in plan
