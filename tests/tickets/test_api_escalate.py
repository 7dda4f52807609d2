import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import audit_history
from core.models import Channel
from defects.models import Attachment, Defect, TicketDefectLink
from tests.factories import ESCALATION_FORM, PNG
from tickets.models import Component, Product, Ticket
from tickets.services.tickets import ticket_set_status

pytestmark = pytest.mark.django_db

FORM = ESCALATION_FORM


def url(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/escalate/"


def assert_nothing_written(ticket) -> None:
    assert not Defect.objects.exists()
    assert not TicketDefectLink.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_escalating_answers_201_with_the_routed_defect(api, agent, ticket, team, version):
    response = api(agent).post(url(ticket), {**FORM, "version": version.pk, "environment": "Chrome"}, format="json")

    assert response.status_code == 201, response.content
    defect = Defect.objects.get()
    body = response.json()
    assert (body["id"], body["key"], body["severity"], body["team"], body["status"]) == (
        defect.pk, defect.key, "S2", team.pk, "new",
    )
    assert body["team_name"] == team.name
    assert list(defect.affected_versions.all()) == [version]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_ENGINEERING
    assert audit_history(defect).filter(action="created", channel=Channel.API, actor=agent).exists()


def test_the_ticket_then_shows_its_defect(api, agent, ticket):
    key = api(agent).post(url(ticket), FORM, format="json").json()["key"]
    body = api(agent).get(f"/api/tickets/{ticket.pk}/").json()
    assert body["escalated"] is True
    assert body["engineering_status"] == "new"
    assert [d["key"] for d in body["defects"]] == [key]


def test_a_manager_may_escalate(api, manager, ticket):
    assert api(manager).post(url(ticket), FORM, format="json").status_code == 201


def test_engineers_may_not_escalate(api, agent, engineer, make_ticket):
    # Even a ticket the engineer can see (it is escalated) is not theirs to escalate.
    seen = make_ticket()
    api(agent).post(url(seen), FORM, format="json")
    defect = Defect.objects.get()
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.WONT_FIX)

    response = api(engineer).post(url(seen), FORM, format="json")

    assert response.status_code == 403
    assert Defect.objects.count() == 1


def test_outsiders_and_anonymous_users_may_not_escalate(api, outsider, ticket):
    assert api(outsider).post(url(ticket), FORM, format="json").status_code == 403
    assert api(None).post(url(ticket), FORM, format="json").status_code in (401, 403)
    assert_nothing_written(ticket)


def test_an_unknown_ticket_is_a_404(api, agent):
    assert api(agent).post("/api/tickets/999999/escalate/", FORM, format="json").status_code == 404


def test_escalating_twice_is_a_409_naming_the_open_defect(api, agent, ticket):
    first = api(agent).post(url(ticket), FORM, format="json").json()

    response = api(agent).post(url(ticket), {**FORM, "title": "Again"}, format="json")

    assert response.status_code == 409
    assert first["key"] in response.json()["detail"]
    assert response.json()["defect"]["id"] == first["id"]
    assert Defect.objects.count() == 1


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"impact": "everyone"}, "impact"),
        ({"urgency": "asap"}, "urgency"),
        ({"severity": "S9"}, "severity"),
        ({"severity": "S1"}, "severity_reason"),
        ({"component": 999999}, "component"),
        ({"version": 999999}, "version"),
        ({"title": ""}, "title"),
        ({"impact": None}, "impact"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, agent, ticket, changes, field):
    data = {key: value for key, value in {**FORM, **changes}.items() if value is not None}

    response = api(agent).post(url(ticket), data, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert_nothing_written(ticket)


def test_an_override_with_a_reason_is_kept(api, agent, ticket):
    response = api(agent).post(
        url(ticket), {**FORM, "severity": "S1", "severity_reason": "Month-end billing is blocked"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["severity"] == "S1"
    assert Defect.objects.get().severity_reason == "Month-end billing is blocked"


def test_a_component_of_another_product_is_a_400(api, agent, ticket):
    foreign = Component.objects.create(product=Product.objects.create(name="CRM", code="crm"), name="Leads")
    response = api(agent).post(url(ticket), {**FORM, "component": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "component" in response.json()
    assert_nothing_written(ticket)


def test_a_closed_ticket_cannot_be_escalated(api, agent, ticket):
    ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=agent, channel=Channel.WEB)
    response = api(agent).post(url(ticket), FORM, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Defect.objects.exists()


def test_screenshots_and_logs_upload_as_multipart(api, agent, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    files = [
        SimpleUploadedFile("screen.png", PNG, content_type="image/png"),
        SimpleUploadedFile("server.log", b"ERROR timeout after 30s\n", content_type="text/plain"),
    ]

    response = api(agent).post(url(ticket), {**FORM, "attachments": files}, format="multipart")

    assert response.status_code == 201, response.content
    stored = Attachment.objects.filter(defect_id=response.json()["id"]).order_by("name")
    assert [(a.name, a.content_type) for a in stored] == [("screen.png", "image/png"), ("server.log", "text/plain")]


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("report.log", PNG, content_type="text/plain"),
        SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, content_type="image/png"),
        SimpleUploadedFile("notes.png", b"just some text", content_type="image/png"),
    ],
    ids=["image-named-as-log", "program-named-as-image", "text-named-as-image"],
)
def test_a_disguised_upload_is_a_400_on_attachments(api, agent, ticket, settings, tmp_path, upload):
    settings.MEDIA_ROOT = tmp_path
    upload.seek(0)
    response = api(agent).post(url(ticket), {**FORM, "attachments": [upload]}, format="multipart")
    assert response.status_code == 400, response.content
    assert "attachments" in response.json()
    assert_nothing_written(ticket)
    assert not Attachment.objects.exists()


def test_an_oversized_upload_is_a_400_on_attachments(api, agent, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.HANDOFF_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("big.log", b"x" * 2048, content_type="text/plain")
    response = api(agent).post(url(ticket), {**FORM, "attachments": [big]}, format="multipart")
    assert response.status_code == 400
    assert "larger than" in response.json()["attachments"][0]
    assert_nothing_written(ticket)


def test_linking_to_an_existing_defect_answers_201_with_it(api, agent, make_ticket, other_customer):
    first = api(agent).post(url(make_ticket()), FORM, format="json").json()
    second = make_ticket(customer=other_customer)

    response = api(agent).post(url(second), {"defect": first["id"]}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["key"] == first["key"]
    assert response.json()["customer_count"] == 2
    assert response.json()["impact"] == "multiple_customers"
    assert Defect.objects.count() == 1
    second.refresh_from_db()
    assert second.status == Ticket.Status.AWAITING_ENGINEERING


def test_linking_to_an_unknown_defect_is_a_400(api, agent, ticket):
    response = api(agent).post(url(ticket), {"defect": 999999}, format="json")
    assert response.status_code == 400
    assert "defect" in response.json()
    assert_nothing_written(ticket)


def test_linking_to_a_closed_defect_is_a_400(api, agent, make_ticket):
    defect_id = api(agent).post(url(make_ticket()), FORM, format="json").json()["id"]
    Defect.objects.filter(pk=defect_id).update(status=Defect.Status.WONT_FIX)
    other = make_ticket()

    response = api(agent).post(url(other), {"defect": defect_id}, format="json")

    assert response.status_code == 400
    assert "defect" in response.json()
    assert not TicketDefectLink.objects.filter(ticket=other).exists()


def test_linking_an_already_escalated_ticket_is_a_409(api, agent, make_ticket):
    ticket = make_ticket()
    mine = api(agent).post(url(ticket), FORM, format="json").json()
    theirs = api(agent).post(url(make_ticket()), FORM, format="json").json()

    response = api(agent).post(url(ticket), {"defect": theirs["id"]}, format="json")

    assert response.status_code == 409
    assert response.json()["defect"]["key"] == mine["key"]


def test_a_300_character_file_name_keeps_its_extension_and_loses_stem(api, agent, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = "invoice-export-" + "x" * 281 + ".log"
    log = SimpleUploadedFile(name, b"ERROR export timed out\n", content_type="text/plain")
    response = api(agent).post(url(ticket), {**FORM, "attachments": [log]}, format="multipart")
    assert response.status_code == 201, response.content
    stored = Attachment.objects.get()
    assert len(stored.name) == 200
    assert stored.name.startswith("invoice-export-x") and stored.name.endswith(".log")


def test_more_files_than_allowed_is_a_json_400_and_writes_nothing(api, agent, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 100
    files = [SimpleUploadedFile(f"log{n}.txt", b"hello", content_type="text/plain") for n in range(101)]
    client = api(agent)
    client.raise_request_exception = False
    response = client.post(url(ticket), {**FORM, "attachments": files}, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "DATA_UPLOAD_MAX_NUMBER_FILES" in response.json()["detail"]
    assert_nothing_written(ticket)


def test_deeply_nested_json_to_escalate_is_a_400(api, agent, ticket):
    client = api(agent)
    client.raise_request_exception = False
    response = client.post(url(ticket), data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]
    assert_nothing_written(ticket)


def test_an_escalation_kind_that_is_not_a_word_is_a_400(api, agent, ticket):
    response = api(agent).post(url(ticket), {"kind": ["enhancement"]}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


@pytest.mark.parametrize("body", [[1, 2], 7, None])
def test_an_escalation_body_that_is_not_an_object_is_a_400(api, agent, ticket, body):
    response = api(agent).post(url(ticket), body, format="json")
    assert response.status_code == 400
