import pytest

from core.audit import audit_history
from core.models import Channel, Notification
from defects.models import Comment, Defect, TicketDefectLink
from tests.factories import escalate, link, move
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
S = Defect.Status


@pytest.fixture
def defect(ticket, agent):
    return escalate(ticket, agent)


def transition(client, defect, **body):
    return client.post(f"/api/defects/{defect.pk}/transition/", body, format="json")


def test_an_engineer_moves_a_defect_and_the_answer_shows_it(api, engineer, defect):
    response = transition(api(engineer), defect, to="triage", reason="Looking")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "triage"
    assert audit_history(defect).filter(field="status", new="triage", channel=Channel.API, actor=engineer).exists()


def test_a_refused_move_is_a_400_naming_the_allowed_ones_by_label(api, engineer, defect):
    response = transition(api(engineer), defect, to="fixed")
    assert response.status_code == 400
    assert response.json() == {
        "to": [
            f"{defect.key} cannot move from New to Fixed; "
            "allowed: Triage, Needs information, Won't fix, Cannot reproduce, Duplicate."
        ]
    }


def test_released_cannot_be_set_through_the_api(api, manager, defect):
    response = transition(api(manager), defect, to="released")
    assert response.status_code == 400
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


def test_agents_cannot_move_a_defect(api, agent, defect):
    response = transition(api(agent), defect, to="triage")
    assert response.status_code == 403
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


@pytest.mark.parametrize("who", ["outsider", None])
def test_outsiders_and_anonymous_are_refused(api, request, defect, who):
    user = request.getfixturevalue(who) if who else None
    assert transition(api(user), defect, to="triage").status_code in (401, 403)
    assert api(user).patch(f"/api/defects/{defect.pk}/", {"title": "x"}, format="json").status_code in (401, 403)
    assert api(user).get(f"/api/defects/{defect.pk}/comments/").status_code in (401, 403)


def test_an_unknown_defect_is_a_404(api, engineer):
    assert api(engineer).post("/api/defects/999999/transition/", {"to": "triage"}, format="json").status_code == 404


def test_duplicate_moves_the_tickets_through_the_api(api, engineer, make_ticket, agent):
    original = escalate(make_ticket(), agent, title="Original")
    dup_ticket = make_ticket(subject="dup")
    duplicate = escalate(dup_ticket, agent, title="Duplicate")
    response = transition(api(engineer), duplicate, to="duplicate", duplicate_of=original.pk, reason="Same")
    assert response.status_code == 200, response.content
    assert response.json()["duplicate_of"] == original.pk
    assert TicketDefectLink.objects.get(ticket=dup_ticket).defect == original


def test_a_duplicate_of_an_unknown_defect_is_a_field_error(api, engineer, defect):
    response = transition(api(engineer), defect, to="duplicate", duplicate_of=999999)
    assert response.status_code == 400
    assert "duplicate_of" in response.json()


def test_patch_changes_only_the_fields_sent(api, engineer, defect, release, other_team):
    response = api(engineer).patch(
        f"/api/defects/{defect.pk}/", {"planned_release": release.pk, "team": other_team.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["planned_release"]["version"] == "2.4.0"
    assert body["team"] == other_team.pk
    assert body["severity"] == defect.severity
    assert audit_history(defect).filter(field="planned_release", new="2.4.0", channel=Channel.API).exists()


def test_a_severity_change_without_a_reason_is_a_400(api, engineer, defect):
    response = api(engineer).patch(f"/api/defects/{defect.pk}/", {"severity": "S1"}, format="json")
    assert response.status_code == 400
    assert "severity_reason" in response.json()
    response = api(engineer).patch(
        f"/api/defects/{defect.pk}/", {"severity": "S1", "severity_reason": "Outage"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["severity_reason"] == "Outage"


def test_patch_refuses_status_and_unknown_fields(api, engineer, defect):
    response = api(engineer).patch(f"/api/defects/{defect.pk}/", {"status": "fixed", "colour": "red"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"status", "colour"}
    assert "transition" in response.json()["status"][0]


def test_patch_refuses_a_release_of_another_product(api, engineer, defect):
    from releases.models import Release
    from tickets.models import Product

    foreign = Release.objects.create(product=Product.objects.create(name="CRM", code="crm"), version="1.0")
    response = api(engineer).patch(f"/api/defects/{defect.pk}/", {"fixed_in_release": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "fixed_in_release" in response.json()


def test_agents_cannot_patch_a_defect(api, agent, defect, release):
    response = api(agent).patch(f"/api/defects/{defect.pk}/", {"planned_release": release.pk}, format="json")
    assert response.status_code == 403
    assert Defect.objects.get(pk=defect.pk).planned_release is None


def test_the_linked_tickets_show_the_new_engineering_status_and_planned_release(
    api, engineer, agent, defect, ticket, release
):
    transition(api(engineer), defect, to="triage")
    api(engineer).patch(f"/api/defects/{defect.pk}/", {"planned_release": release.pk}, format="json")
    body = api(agent).get(f"/api/tickets/{ticket.pk}/").json()
    assert body["engineering_status"] == "triage"
    assert body["planned_release"]["version"] == "2.4.0"
    assert body["status"] == Ticket.Status.AWAITING_ENGINEERING


# The shared thread through the API

def post_comment(client, where, obj, body, visibility="shared"):
    return client.post(f"/api/{where}/{obj.pk}/comments/", {"body": body, "visibility": visibility}, format="json")


def test_internal_comments_never_reach_the_other_side_in_the_api(api, agent, engineer, defect, ticket):
    assert post_comment(api(engineer), "defects", defect, "eng internal", "internal").status_code == 201
    assert post_comment(api(engineer), "defects", defect, "eng shared").status_code == 201
    assert post_comment(api(agent), "tickets", ticket, "hd internal", "internal").status_code == 201
    assert post_comment(api(agent), "tickets", ticket, "hd shared").status_code == 201

    def bodies(user, where, obj):
        response = api(user).get(f"/api/{where}/{obj.pk}/comments/")
        assert response.status_code == 200
        return [c["body"] for c in response.json()["results"]]

    assert bodies(agent, "tickets", ticket) == ["eng shared", "hd internal", "hd shared"]
    assert bodies(agent, "defects", defect) == ["eng shared", "hd shared"]
    assert bodies(engineer, "defects", defect) == ["eng internal", "eng shared", "hd shared"]
    assert bodies(engineer, "tickets", ticket) == ["eng shared", "hd shared"]


def test_comment_markdown_comes_back_sanitised(api, agent, ticket, defect):
    response = post_comment(api(agent), "tickets", ticket, "**Hi** <script>alert(1)</script> [x](javascript:alert(1))")
    html = response.json()["body_html"]
    assert "<strong>Hi</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_bad_comments_are_400_with_field_messages(api, agent, ticket):
    response = api(agent).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "", "visibility": "public"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"body", "visibility"}
    assert not Comment.objects.exists()


def test_engineers_comment_only_on_tickets_they_can_see(api, engineer, make_ticket):
    hidden = make_ticket(subject="Not escalated")
    assert post_comment(api(engineer), "tickets", hidden, "hello").status_code == 404


def test_the_agents_answer_in_the_api_returns_the_defect(api, agent, engineer, defect, ticket):
    move(defect, S.TRIAGE, engineer)
    transition(api(engineer), defect, to="needs_info", reason="Which version?")
    assert api(agent).get(f"/api/tickets/{ticket.pk}/").json()["engineering_status"] == "needs_info"
    post_comment(api(agent), "tickets", ticket, "2.3.1")
    assert Defect.objects.get(pk=defect.pk).status == S.TRIAGE


def test_comment_lists_cost_the_same_queries_for_3_or_30_comments(api, agent, engineer, defect, ticket):
    from tests.querycount import get_query_count

    for i in range(3):
        post_comment(api(engineer), "defects", defect, f"e{i}")
    few = get_query_count(agent, f"/api/tickets/{ticket.pk}/comments/", expect_rows=3)
    for i in range(27):
        post_comment(api(agent), "tickets", ticket, f"a{i}")
    assert get_query_count(agent, f"/api/tickets/{ticket.pk}/comments/", expect_rows=30) == few


# Ticket status: the help desk's own

def test_engineers_cannot_close_tickets(api, engineer, defect, ticket):
    response = api(engineer).post(f"/api/tickets/{ticket.pk}/status/", {"status": "closed"}, format="json")
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.AWAITING_ENGINEERING


def test_agents_close_tickets_with_an_audited_reason(api, agent, ticket):
    response = api(agent).post(
        f"/api/tickets/{ticket.pk}/status/", {"status": "closed", "reason": "Customer happy"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert audit_history(ticket).filter(field="status", new="closed", reason="Customer happy").exists()


def test_an_unknown_ticket_status_is_a_400(api, agent, ticket):
    assert api(agent).post(f"/api/tickets/{ticket.pk}/status/", {"status": "done"}, format="json").status_code == 400


# Notifications

def test_my_notifications_and_marking_them_read(api, agent, other_agent, engineer, defect, make_ticket):
    link(make_ticket(assignee=other_agent, subject="Other"), defect, other_agent)
    transition(api(engineer), defect, to="triage")
    client = api(agent)
    body = client.get("/api/notifications/").json()
    assert [n["kind"] for n in body["results"]] == ["defect_status"]
    note = body["results"][0]
    assert defect.key in note["message"] and note["read_at"] is None
    assert note["link"].startswith("http")

    theirs = Notification.objects.get(user=other_agent, kind="defect_status")
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/api/notifications/{note['id']}/read/").json() == {"marked": 1}
    assert client.get("/api/notifications/?unread=1").json()["results"] == []
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    move(Defect.objects.get(pk=defect.pk), S.IN_PROGRESS, engineer)
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert api(None).get("/api/notifications/").status_code in (401, 403)
