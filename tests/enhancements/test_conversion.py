"""Converting a defect into a request and a request into a defect: what moves, what stays, where keys lead."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from core.audit import audit_history
from core.models import Channel
from defects.models import Attachment, Comment, Defect, TicketDefectLink
from defects.services.comments import comment_add
from enhancements.models import Conversion, EnhancementRequest, RequestComment, TicketRequestLink
from enhancements.services.comments import request_comment_add
from enhancements.services.conversion import defect_convert_to_request, request_convert_to_defect
from sync.config import build_config
from sync.models import OutboxItem
from sync.services.apply import NotApplied, apply_status
from tests.factories import add_twin, connect, escalate, link, request_from, walk
from tickets.models import Ticket


def _attach(defect: Defect, actor) -> Attachment:
    return Attachment.objects.create(
        defect=defect, file=ContentFile(b"log line\n", name="app.log"), name="app.log", content_type="text/plain",
        size=9, uploaded_by=actor,
    )


@pytest.fixture
def escalated(make_ticket, agent, engineer, other_customer):
    """A defect two customers' tickets report, with a shared and an internal comment and an attachment."""
    first = make_ticket(assignee=agent)
    defect = escalate(first, agent, title="Export lacks VAT per line", description="Accountants need it.")
    second = make_ticket(customer=other_customer, assignee=agent)
    link(second, defect, agent)
    comment_add(actor=engineer, channel=Channel.WEB, body="This is a feature, not a bug.", defect=defect,
                visibility="shared")
    comment_add(actor=engineer, channel=Channel.WEB, body="Internal: estimate 3 weeks.", defect=defect,
                visibility="internal")
    _attach(defect, agent)
    return defect, first, second


def test_a_defect_becomes_a_request_with_its_tickets_comments_attachments_and_history(escalated, engineer, agent):
    defect, first, second = escalated
    request = defect_convert_to_request(
        defect=defect, actor=engineer, channel=Channel.WEB, reason="Works as designed; an enhancement."
    )
    assert request.key == f"ENH-{request.pk}" and request.title == "Export lacks VAT per line"
    assert set(TicketRequestLink.objects.filter(request=request).values_list("ticket_id", flat=True)) == {
        first.pk, second.pk,
    }
    assert not TicketDefectLink.objects.filter(defect=defect).exists()
    request.refresh_from_db()
    assert (request.customer_count, request.ticket_count) == (2, 2)
    assert list(RequestComment.objects.filter(request=request).values_list("body", flat=True)) == [
        "This is a feature, not a bug."
    ]
    # The internal engineering note stays with the old defect: every role reads a request's thread.
    assert list(Comment.objects.filter(defect=defect).values_list("body", flat=True)) == ["Internal: estimate 3 weeks."]
    assert list(request.attachments.values_list("name", flat=True)) == ["app.log"]

    defect.refresh_from_db()
    assert defect.status == Defect.Status.CONVERTED and not defect.is_open
    assert (defect.customer_count, defect.ticket_count) == (0, 0)
    old = [(e.action, e.new) for e in audit_history(defect)]
    new = [(e.action, e.new) for e in audit_history(request)]
    assert ("converted", f"converted to {request.key}") in old
    assert ("converted", f"converted from {defect.key}") in new
    # The defect's history came along; the defect keeps its own rows.
    assert any(action == "created" for action, _ in old) and any(action == "created" for action, _ in new)
    assert Conversion.objects.get(defect=defect).request == request

    first.refresh_from_db()
    assert first.status == Ticket.Status.AWAITING_PRODUCT
    relinked = audit_history(first).filter(action="relinked").get()
    assert (relinked.old, relinked.new) == (defect.key, request.key)


def test_converting_needs_a_reason_and_an_open_defect(escalated, engineer, agent):
    defect, *_ = escalated
    with pytest.raises(ValidationError) as caught:
        defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="  ")
    assert "reason" in caught.value.message_dict
    walk(defect, "fixed", engineer)
    with pytest.raises(ValidationError) as caught:
        defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="late")
    assert "defect" in caught.value.message_dict
    assert not EnhancementRequest.objects.exists()


def test_a_ticket_already_asking_for_a_request_keeps_it(make_ticket, agent, engineer):
    ticket = make_ticket()
    wanted = request_from(ticket, agent, title="Dark mode")
    defect = escalate(ticket, agent)
    created = defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="A wish")
    assert list(TicketRequestLink.objects.filter(ticket=ticket).values_list("request_id", flat=True)) == [wanted.pk]
    assert created.ticket_links.count() == 0


def test_the_twin_stays_with_the_old_defect_and_nothing_is_sent(escalated, engineer, team):
    defect, *_ = escalated
    connection = connect(team, name="jira", kind="jira", base_url="https://jira.example", token="t", project="BILL")
    twin = add_twin(defect, connection, key="BILL-7", url="https://jira.example/browse/BILL-7")
    before = OutboxItem.objects.count()
    defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="A feature")
    twin.refresh_from_db()
    assert twin.defect_id == defect.pk
    assert OutboxItem.objects.count() == before


def test_a_request_becomes_a_defect_and_starts_syncing_once(make_ticket, agent, product_manager, team):
    connect(team, name="jira", kind="jira", base_url="https://jira.example", token="t", project="BILL")
    ticket = make_ticket(assignee=agent)
    request = request_from(ticket, agent, title="Invoices crash on VAT lines")
    request_comment_add(request=request, author=agent, body="Customer sends logs.", channel=Channel.WEB)
    defect = request_convert_to_defect(
        request=request, actor=product_manager, channel=Channel.WEB, reason="It is a crash, not a wish.",
        urgency="blocked",
    )
    assert defect.key == f"DEF-{defect.pk}" and (defect.severity, defect.team) == ("S3", team)
    assert list(TicketDefectLink.objects.filter(defect=defect).values_list("ticket_id", flat=True)) == [ticket.pk]
    assert list(Comment.objects.filter(defect=defect).values_list("body", "visibility")) == [
        ("Customer sends logs.", "shared")
    ]
    request.refresh_from_db()
    assert request.status == EnhancementRequest.Status.CONVERTED and request.ticket_count == 0
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_ENGINEERING
    assert list(OutboxItem.objects.filter(defect=defect).values_list("kind", flat=True)) == ["create"]
    assert ("converted", f"converted from {request.key}") in [(e.action, e.new) for e in audit_history(defect)]
    with pytest.raises(ValidationError):
        request_convert_to_defect(request=request, actor=product_manager, channel=Channel.WEB, reason="again")


def test_a_converted_defect_refuses_the_trackers_changes(escalated, engineer):
    defect, *_ = escalated
    defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="A feature")
    defect.refresh_from_db()
    config = build_config(kind="jira", status_map={}, priority_map={}, version_map={})
    with pytest.raises(NotApplied):
        apply_status(defect=defect, connection=None, config=config, tracker_value="In Progress")
    assert config.portal_status("Done", current=Defect.Status.CONVERTED) == Defect.Status.CONVERTED


# Through the API and the pages.


def test_the_api_converts_a_defect_and_its_key_redirects(api, escalated, engineer, agent):
    defect, first, _ = escalated
    assert api(agent).post(f"/api/defects/{defect.pk}/convert/", {"reason": "x"}, format="json").status_code == 403
    answer = api(engineer).post(
        f"/api/defects/{defect.pk}/convert/", {"reason": "A feature", "importance": "blocks_deal"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["key"].startswith("ENH-") and len(body["tickets"]) == 2
    assert [a["name"] for a in body["attachments"]] == ["app.log"]
    assert body["conversions"][0]["defect_key"] == defect.key
    moved = api(agent).get(f"/api/defects/{defect.pk}/")
    assert moved.status_code == 301 and moved["Location"].endswith(f"/api/requests/{body['id']}/")
    again = api(engineer).post(f"/api/defects/{defect.pk}/convert/", {"reason": "again"}, format="json")
    assert again.status_code == 400 and "defect" in again.json()
    assert api(engineer).post(f"/api/defects/{defect.pk}/convert/", {}, format="json").status_code == 400


def test_the_api_converts_a_request_back_and_both_keys_lead_on(api, escalated, engineer, product_manager, agent):
    defect, *_ = escalated
    request = defect_convert_to_request(defect=defect, actor=engineer, channel=Channel.WEB, reason="A feature")
    assert api(agent).post(f"/api/requests/{request.pk}/convert/", {"reason": "x"}, format="json").status_code == 403
    answer = api(product_manager).post(
        f"/api/requests/{request.pk}/convert/", {"reason": "It is a bug after all", "impact": "entire_customer"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    new = answer.json()
    assert new["key"].startswith("DEF-") and len(new["tickets"]) == 2
    assert [a["name"] for a in new["attachments"]] == ["app.log"]
    moved = api(agent).get(f"/api/requests/{request.pk}/")
    assert moved.status_code == 301 and moved["Location"].endswith(f"/api/defects/{new['id']}/")
    assert api(agent).get(f"/api/defects/{defect.pk}/").status_code == 301


def test_the_pages_offer_conversion_and_old_keys_redirect(client, escalated, engineer, product_manager, agent):
    defect, *_ = escalated
    client.force_login(engineer)
    page = client.get(f"/defects/{defect.pk}/").content.decode()
    assert 'id="convert-form"' in page
    answer = client.post(f"/requests/from-defect/{defect.pk}/", {"reason": "A feature", "importance": "important"})
    request = EnhancementRequest.objects.get()
    assert answer.status_code == 302 and answer.url == f"/requests/{request.pk}/"
    assert client.get(f"/defects/{defect.pk}/").url == f"/requests/{request.pk}/"
    client.force_login(agent)
    assert 'id="convert-form"' not in client.get(f"/requests/{request.pk}/").content.decode()
    assert client.post(f"/requests/{request.pk}/convert/", {"reason": "x"}).status_code == 403
    client.force_login(product_manager)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert 'id="convert-form"' in page and "app.log" in page and defect.key in page
    answer = client.post(
        f"/requests/{request.pk}/convert/", {"reason": "A bug", "impact": "single_user", "urgency": "blocked"}
    )
    new = Defect.objects.exclude(pk=defect.pk).get()
    assert answer.url == f"/defects/{new.pk}/"
    assert client.get(f"/requests/{request.pk}/").url == f"/defects/{new.pk}/"
