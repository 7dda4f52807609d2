import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from defects.models import Attachment, Defect, TicketDefectLink
from tests.factories import ESCALATION_FORM, PNG, escalate
from tickets.models import Component, Product, ProductVersion, Ticket

pytestmark = pytest.mark.django_db


def page(ticket) -> str:
    return reverse("tickets:escalate", args=[ticket.pk])


def similar(ticket) -> str:
    return reverse("tickets:similar", args=[ticket.pk])


def form_data(**overrides) -> dict:
    data = {
        **ESCALATION_FORM,
        "environment": "Chrome 120",
        "description": "",
        "severity": "",
        "severity_reason": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def as_agent(client, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(agent)
    return client


def test_an_agent_escalates_and_sees_the_dual_status_on_the_ticket(as_agent, ticket, team, version, component):
    response = as_agent.post(page(ticket), form_data(version=version.pk, component=component.pk))

    defect = Defect.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tickets:detail", args=[ticket.pk])
    assert (defect.severity, defect.team, defect.component) == ("S2", team, component)
    assert list(defect.affected_versions.all()) == [version]
    assert defect.steps_to_reproduce.startswith("1. Open a 500-line invoice")
    html = as_agent.get(response.url).content.decode()
    assert f"Escalated to engineering as {defect.key} (S2), sent to Billing engineering." in html
    assert "Awaiting engineering" in html and 'class="badge eng-new">New' in html


def test_the_form_is_prefilled_from_the_ticket_and_offers_only_its_products_parts(
    as_agent, make_ticket, component, version
):
    crm = Product.objects.create(name="CRM", code="crm")
    ProductVersion.objects.create(product=crm, name="9.0")
    Component.objects.create(product=crm, name="Leads")
    ticket = make_ticket(component=component, version=version, environment="Firefox 128")

    response = as_agent.get(page(ticket))

    form = response.context["form"]
    assert list(form.fields["version"].queryset) == [version]
    assert list(form.fields["component"].queryset) == [component]
    assert form["title"].value() == ticket.subject
    assert form["environment"].value() == "Firefox 128"
    html = response.content.decode()
    for label in ("Title", "Impact", "Urgency", "Steps to reproduce", "Expected result", "Actual result",
                  "Version", "Component", "Environment", "Screenshots and logs"):
        assert f">{label}:</label>" in html
    assert ">Why this severity?</label>" in html
    assert "Choose an impact and an urgency to see the computed severity." in html


def test_a_component_of_another_product_cannot_be_posted(as_agent, ticket):
    crm = Product.objects.create(name="CRM", code="crm")
    foreign = Component.objects.create(product=crm, name="Leads")

    response = as_agent.post(page(ticket), form_data(component=foreign.pk))

    assert response.status_code == 400
    assert response.context["form"].errors["component"]
    assert not Defect.objects.exists()


def test_similar_open_defects_are_offered_with_a_link_button(as_agent, agent, make_ticket, team):
    known = escalate(make_ticket(subject="Invoice PDF export is slow"), agent, title="Invoice PDF export times out")
    crm = Product.objects.create(name="CRM", code="crm", default_team=team)
    elsewhere = escalate(make_ticket(product=crm), agent, title="Invoice PDF export broken in CRM")
    closed = escalate(make_ticket(), agent, title="Invoice PDF export crashed")
    Defect.objects.filter(pk=closed.pk).update(status=Defect.Status.WONT_FIX)
    ticket = make_ticket(subject="PDF export of an invoice times out")

    response = as_agent.get(similar(ticket), headers={"HX-Request": "true"})

    assert [d.key for d in response.context["similar"]] == [known.key, elsewhere.key]
    html = response.content.decode()
    assert html.startswith('<section class="card" id="similar-defects"') and "<html" not in html
    assert html.count("Link to this defect") == 1
    assert "Another product" in html
    assert closed.key not in html


def test_the_escalate_page_loads_the_similar_defects_by_their_own_request(as_agent, agent, make_ticket):
    known = escalate(make_ticket(subject="Invoice PDF export is slow"), agent, title="Invoice PDF export times out")
    ticket = make_ticket(subject="PDF export of an invoice times out")

    html = as_agent.get(page(ticket)).content.decode()
    alone = as_agent.get(similar(ticket)).content.decode()

    assert f'hx-get="{similar(ticket)}"' in html and 'hx-trigger="load"' in html and known.key not in html
    assert "<html" in alone and f"Open defects like {ticket.number}" in alone and known.key in alone
    assert "Link to this defect" in alone and 'name="csrfmiddlewaretoken"' in alone


def test_only_those_who_escalate_read_the_similar_defects(client, engineer, outsider, ticket):
    for user in (engineer, outsider):
        client.force_login(user)
        assert client.get(similar(ticket)).status_code == 403


def test_linking_to_a_similar_defect_links_instead_of_creating(as_agent, agent, make_ticket, other_customer):
    defect = escalate(make_ticket(), agent, impact="single_user", urgency="blocked")
    ticket = make_ticket(customer=other_customer)

    response = as_agent.post(reverse("tickets:link", args=[ticket.pk]), {"defect": defect.pk})

    assert response.status_code == 302
    assert response.url == reverse("tickets:detail", args=[ticket.pk])
    assert Defect.objects.count() == 1
    assert TicketDefectLink.objects.filter(ticket=ticket, defect=defect).exists()
    ticket.refresh_from_db()
    defect.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_ENGINEERING
    assert (defect.impact, defect.severity) == ("multiple_customers", "S1")
    assert f"Linked to {defect.key}" in as_agent.get(response.url).content.decode()


def test_linking_to_a_defect_of_another_product_is_refused_with_a_message(as_agent, agent, make_ticket, team):
    crm = Product.objects.create(name="CRM", code="crm", default_team=team)
    foreign = escalate(make_ticket(product=crm), agent)
    ticket = make_ticket()

    response = as_agent.post(reverse("tickets:link", args=[ticket.pk]), {"defect": foreign.pk}, follow=True)

    assert f"{foreign.key} is a defect of another product." in response.content.decode()
    assert not TicketDefectLink.objects.filter(ticket=ticket).exists()


def test_linking_to_an_unknown_defect_is_refused(as_agent, ticket):
    response = as_agent.post(reverse("tickets:link", args=[ticket.pk]), {"defect": 999999}, follow=True)

    assert "Choose an existing defect to link to." in response.content.decode()
    assert not TicketDefectLink.objects.exists()


@pytest.mark.parametrize("field,value", [("impact", "everyone"), ("urgency", "asap"), ("severity", "S9")])
def test_a_choice_that_does_not_exist_is_reported_beside_its_field(as_agent, ticket, field, value):
    response = as_agent.post(page(ticket), form_data(**{field: value}))

    assert response.status_code == 400
    assert f"{value} is not one of the available choices." in response.context["form"].errors[field][0]
    assert 'class="field has-error"' in response.content.decode()
    assert not Defect.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_an_override_without_a_reason_is_reported_beside_the_reason(as_agent, ticket):
    response = as_agent.post(page(ticket), form_data(severity="S1"))

    assert response.status_code == 400
    assert response.context["form"].errors["severity_reason"] == ["The matrix gives S2; say why it should be S1."]
    assert "Computed severity: <strong class=\"badge sev-S2\">S2 - major</strong>" in response.content.decode()
    assert not Defect.objects.exists()


def test_an_override_with_a_reason_reaches_engineering(as_agent, ticket):
    as_agent.post(page(ticket), form_data(severity="S1", severity_reason="Month-end billing is blocked"))

    defect = Defect.objects.get()
    assert (defect.severity, defect.severity_reason) == ("S1", "Month-end billing is blocked")


def test_screenshots_and_logs_posted_with_the_form_go_onto_the_defect(as_agent, ticket):
    files = [
        SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        SimpleUploadedFile("server.log", b"ERROR timeout\n", content_type="text/plain"),
    ]

    as_agent.post(page(ticket), {**form_data(), "attachments": files})

    stored = Attachment.objects.filter(defect=Defect.objects.get())
    assert sorted((a.name, a.content_type) for a in stored) == [("server.log", "text/plain"), ("shot.png", "image/png")]


def test_an_html_file_named_like_a_screenshot_is_refused_beside_the_field(as_agent, ticket):
    disguised = SimpleUploadedFile("shot.png", b"<html><script>alert(1)</script></html>", content_type="image/png")

    response = as_agent.post(page(ticket), {**form_data(), "attachments": [disguised]})

    assert response.status_code == 400
    errors = response.context["form"].errors["attachments"]
    assert errors == ["shot.png: only images (PNG, JPEG, GIF, WebP), PDF, ZIP, gzip and text logs are accepted."]
    assert not Defect.objects.exists() and not Attachment.objects.exists()


def test_an_oversized_upload_is_refused_beside_the_field(as_agent, ticket, settings):
    settings.HANDOFF_MAX_UPLOAD_BYTES = 50
    big = SimpleUploadedFile("server.log", b"x" * 51, content_type="text/plain")

    response = as_agent.post(page(ticket), {**form_data(), "attachments": [big]})

    assert response.status_code == 400
    assert response.context["form"].errors["attachments"] == ["server.log is larger than the 50-byte limit."]
    assert not Defect.objects.exists()


def test_a_ticket_already_linked_to_an_open_defect_names_it_and_offers_no_form(as_agent, agent, ticket):
    defect = escalate(ticket, agent)

    response = as_agent.get(page(ticket))

    html = response.content.decode()
    assert response.status_code == 200
    assert "is already linked to the open defect" in html and f"<strong>{defect.key}</strong>" in html
    assert 'name="title"' not in html
    assert "form" not in response.context


def test_escalating_twice_is_refused_with_409_and_creates_nothing(as_agent, ticket):
    assert as_agent.post(page(ticket), form_data()).status_code == 302

    again = as_agent.post(page(ticket), form_data(title="Once more"))

    assert again.status_code == 409
    assert "It cannot be escalated again while that defect is open." in again.content.decode()
    assert Defect.objects.count() == 1


def test_a_closed_ticket_must_be_reopened_first(as_agent, make_ticket):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)

    response = as_agent.post(page(ticket), form_data())

    assert response.status_code == 400
    assert f"{ticket.number} is closed; reopen it first." in response.content.decode()
    assert not Defect.objects.exists()


def test_the_severity_preview_follows_the_matrix(as_agent):
    url = reverse("tickets:severity")

    assert "S1 - critical" in as_agent.get(url, {"impact": "multiple_customers", "urgency": "blocked"}).content.decode()
    assert "S4 - minor" in as_agent.get(url, {"impact": "single_user", "urgency": "workaround"}).content.decode()
    assert "Choose an impact" in as_agent.get(url, {"impact": "everyone", "urgency": "blocked"}).content.decode()


def test_an_engineer_may_not_escalate_or_link(client, agent, engineer, make_ticket):
    escalated = make_ticket()
    defect = escalate(escalated, agent)
    ticket = make_ticket()
    client.force_login(engineer)

    assert client.get(page(escalated)).status_code == 403
    assert client.post(page(ticket), form_data()).status_code == 403
    assert client.post(reverse("tickets:link", args=[ticket.pk]), {"defect": defect.pk}).status_code == 403
    assert client.get(reverse("tickets:severity")).status_code == 403
    assert Defect.objects.count() == 1


def test_an_outsider_gets_403_and_an_anonymous_visitor_is_sent_to_log_in(client, outsider, ticket):
    anonymous = client.post(page(ticket), form_data())
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))

    client.force_login(outsider)
    assert client.get(page(ticket)).status_code == 403
    assert client.post(page(ticket), form_data()).status_code == 403
    assert not Defect.objects.exists()


def test_an_unknown_ticket_is_not_found(as_agent):
    assert as_agent.get(reverse("tickets:escalate", args=[999999])).status_code == 404
