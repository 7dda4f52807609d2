import pytest

from core.models import Channel
from defects.models import Comment, Defect
from defects.services.comments import comment_add
from tests.factories import escalate, move, walk
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
S = Defect.Status


@pytest.fixture
def defect(ticket, agent):
    return escalate(ticket, agent)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_defect_page_offers_only_the_allowed_moves(as_user, engineer, defect):
    html = page(as_user(engineer), f"/defects/{defect.pk}/")
    assert 'id="transition-form"' in html
    assert '<option value="triage">' in html
    assert '<option value="fixed">' not in html and '<option value="released">' not in html


def test_agents_see_no_triage_forms_and_cannot_post_them(as_user, agent, defect):
    client = as_user(agent)
    html = page(client, f"/defects/{defect.pk}/")
    assert 'id="transition-form"' not in html and 'id="edit-form"' not in html
    assert client.post(f"/defects/{defect.pk}/transition/", {"to": "triage"}).status_code == 403
    assert client.post(f"/defects/{defect.pk}/edit/", {"severity": "S1"}).status_code == 403
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


def test_an_engineer_moves_a_defect_from_its_page(as_user, engineer, defect, ticket):
    response = as_user(engineer).post(f"/defects/{defect.pk}/transition/", {"to": "triage", "reason": "Looking"})
    assert response.status_code == 302 and response["Location"] == f"/defects/{defect.pk}/"
    assert Defect.objects.get(pk=defect.pk).status == S.TRIAGE


def test_a_missing_reason_is_shown_beside_the_field(as_user, engineer, defect):
    response = as_user(engineer).post(f"/defects/{defect.pk}/transition/", {"to": "wont_fix", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    reason_field = html.split('for="id_reason"', 1)[0].rsplit('<div class="field', 1)[1]
    assert "has-error" in reason_field
    assert "needs a reason" in html
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


def test_with_htmx_errors_come_back_in_place_and_success_redirects(as_user, engineer, defect):
    client = as_user(engineer)
    response = client.post(f"/defects/{defect.pk}/transition/", {"to": "duplicate"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<form method=\"post\"" in html and "<html" not in html
    assert "Name the defect this one duplicates." in html
    response = client.post(f"/defects/{defect.pk}/transition/", {"to": "triage"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == f"/defects/{defect.pk}/"


def test_duplicate_by_key_from_the_page(as_user, engineer, make_ticket, agent):
    original = escalate(make_ticket(), agent, title="Original")
    dup = escalate(make_ticket(), agent, title="Dup")
    as_user(engineer).post(
        f"/defects/{dup.pk}/transition/", {"to": "duplicate", "duplicate_of": original.key.lower(), "reason": "Same"}
    )
    assert Defect.objects.get(pk=dup.pk).duplicate_of == original


def test_the_edit_form_changes_only_what_was_changed(as_user, engineer, defect, release, team):
    client = as_user(engineer)
    response = client.post(
        f"/defects/{defect.pk}/edit/",
        {"severity": defect.severity, "severity_reason": "", "team": team.pk, "planned_release": release.pk,
         "fixed_in_release": ""},
    )
    assert response.status_code == 302
    defect.refresh_from_db()
    assert defect.planned_release == release and defect.team == team


def test_a_severity_change_without_reason_is_refused_beside_the_field(as_user, engineer, defect, team):
    response = as_user(engineer).post(
        f"/defects/{defect.pk}/edit/", {"severity": "S1", "severity_reason": "", "team": team.pk}
    )
    assert response.status_code == 400
    assert "the help desk sees it" in response.content.decode()
    assert Defect.objects.get(pk=defect.pk).severity == "S2"


def test_internal_comments_never_reach_the_other_sides_pages(as_user, agent, engineer, defect, ticket):
    comment_add(actor=engineer, channel=Channel.WEB, body="ENG-SECRET", visibility="internal", defect=defect)
    comment_add(actor=agent, channel=Channel.WEB, body="HD-SECRET", visibility="internal", ticket=ticket)
    comment_add(actor=engineer, channel=Channel.WEB, body="ENG-SHARED", visibility="shared", defect=defect)

    agent_ticket = page(as_user(agent), f"/tickets/{ticket.pk}/")
    agent_defect = page(as_user(agent), f"/defects/{defect.pk}/")
    engineer_ticket = page(as_user(engineer), f"/tickets/{ticket.pk}/")
    engineer_defect = page(as_user(engineer), f"/defects/{defect.pk}/")

    assert "ENG-SECRET" not in agent_ticket + agent_defect
    assert "HD-SECRET" not in engineer_ticket + engineer_defect
    assert "ENG-SHARED" in agent_ticket and "HD-SECRET" in agent_ticket
    assert "ENG-SECRET" in engineer_defect


def test_share_with_engineering_from_the_ticket_page(as_user, agent, engineer, ticket, defect):
    client = as_user(agent)
    assert "Share with engineering" in page(client, f"/tickets/{ticket.pk}/")
    response = client.post(f"/tickets/{ticket.pk}/comments/", {"body": "Customer runs Firefox", "visibility": "shared"})
    assert response.status_code == 302
    assert "Customer runs Firefox" in page(as_user(engineer), f"/defects/{defect.pk}/")


def test_an_empty_comment_is_refused_beside_the_field(as_user, agent, ticket):
    response = as_user(agent).post(f"/tickets/{ticket.pk}/comments/", {"body": "", "visibility": "shared"})
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_engineers_cannot_comment_on_tickets_they_cannot_see(as_user, engineer, make_ticket):
    hidden = make_ticket(subject="Not escalated")
    response = as_user(engineer).post(f"/tickets/{hidden.pk}/comments/", {"body": "x", "visibility": "shared"})
    assert response.status_code == 404


def test_no_script_in_a_comment_ever_runs(as_user, agent, ticket, defect):
    comment_add(
        actor=agent, channel=Channel.WEB, ticket=ticket, visibility="shared",
        body='<script>alert("x")</script><img src=x onerror=alert(1)> [click](javascript:alert(1))',
    )
    html = page(as_user(agent), f"/tickets/{ticket.pk}/")
    thread = html.split('id="thread"', 1)[1]
    assert "<script>alert" not in thread and "onerror" not in thread and "javascript:" not in thread


def test_the_ticket_shows_engineering_needs_information_and_the_answer_returns_it(
    as_user, agent, engineer, ticket, defect
):
    walk(defect, S.IN_PROGRESS, engineer)
    move(defect, S.NEEDS_INFO, engineer, reason="Which invoice number?")
    client = as_user(agent)
    html = page(client, f"/tickets/{ticket.pk}/")
    assert "Engineering needs information: Which invoice number?" in html

    client.post(f"/tickets/{ticket.pk}/comments/", {"body": "INV-2231", "visibility": "shared"})
    assert Defect.objects.get(pk=defect.pk).status == S.IN_PROGRESS
    html = page(client, f"/tickets/{ticket.pk}/")
    assert "Engineering needs information" not in html


def test_wont_fix_shows_the_reason_on_the_ticket(as_user, agent, engineer, ticket, defect):
    move(defect, S.WONT_FIX, engineer, reason="Working as designed")
    html = page(as_user(agent), f"/tickets/{ticket.pk}/")
    assert f"Engineering closed {defect.key} as won&#x27;t fix: Working as designed" in html


def test_a_severity_change_is_shown_to_the_agent_with_its_reason(as_user, agent, engineer, ticket, defect):
    from defects.services.changes import defect_update

    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, severity="S1", severity_reason="Data loss")
    assert "Severity S1: Data loss" in page(as_user(agent), f"/tickets/{ticket.pk}/")


def test_engineers_cannot_close_tickets_from_the_page(as_user, engineer, agent, ticket, defect):
    assert 'id="ticket-status-form"' not in page(as_user(engineer), f"/tickets/{ticket.pk}/")
    assert as_user(engineer).post(f"/tickets/{ticket.pk}/status/", {"status": "closed"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.AWAITING_ENGINEERING

    response = as_user(agent).post(f"/tickets/{ticket.pk}/status/", {"status": "closed", "reason": "Solved"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CLOSED


@pytest.mark.parametrize("reference", ["²", "9" * 25, "DEF-" + "9" * 25])
def test_a_duplicate_reference_that_names_no_defect_is_a_form_error(as_user, engineer, make_ticket, agent, reference):
    dup = escalate(make_ticket(), agent, title="Dup")
    client = as_user(engineer)
    client.raise_request_exception = False
    response = client.post(
        f"/defects/{dup.pk}/transition/", {"to": "duplicate", "duplicate_of": reference, "reason": "Same"}
    )
    assert response.status_code in (200, 400)
    assert f"There is no defect {reference}." in response.content.decode()
    assert Defect.objects.get(pk=dup.pk).status == S.NEW
