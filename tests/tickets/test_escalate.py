import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import audit_history
from core.models import AuditEntry, Channel
from defects.attachments import check_upload
from defects.models import Attachment, Defect, TicketDefectLink
from defects.severity import Impact, Urgency
from tests.factories import PNG, escalate
from tickets.models import Ticket
from tickets.services.escalation import AlreadyEscalated, ticket_link_defect

pytestmark = pytest.mark.django_db

def test_escalating_creates_a_routed_defect_with_the_matrix_severity(ticket, agent, team):
    defect = escalate(ticket, agent)

    assert defect.key == f"DEF-{defect.pk}"
    assert defect.severity == "S2"
    assert defect.team == team
    assert defect.status == Defect.Status.NEW
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_ENGINEERING
    assert TicketDefectLink.objects.filter(ticket=ticket, defect=defect, linked_by=agent).exists()


def test_ticket_numbers_read_like_help_desk_numbers(ticket):
    assert ticket.number == f"HD-{1000 + ticket.pk}"


def test_escalating_twice_is_refused_with_the_open_defect(ticket, agent):
    defect = escalate(ticket, agent)
    with pytest.raises(AlreadyEscalated) as excinfo:
        escalate(ticket, agent, title="Again")
    assert excinfo.value.defect == defect
    assert Defect.objects.count() == 1


def test_an_override_without_a_reason_is_refused(ticket, agent):
    with pytest.raises(ValidationError) as excinfo:
        escalate(ticket, agent, severity="S1")
    assert "severity_reason" in excinfo.value.message_dict
    assert Defect.objects.count() == 0


def test_an_override_with_a_reason_is_kept_for_engineering(ticket, agent):
    defect = escalate(ticket, agent, severity="S1", severity_reason="Month-end billing run is blocked")
    assert defect.severity == "S1"
    assert defect.severity_reason == "Month-end billing run is blocked"


@pytest.mark.parametrize("field,value", [("impact", "everyone"), ("urgency", "asap"), ("severity", "S9")])
def test_unknown_choices_are_refused_by_field(ticket, agent, field, value):
    with pytest.raises(ValidationError) as excinfo:
        escalate(ticket, agent, **{field: value})
    assert field in excinfo.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_component_of_another_product_is_refused(ticket, agent, db):
    from tickets.models import Component, Product

    other = Product.objects.create(name="CRM", code="crm")
    foreign = Component.objects.create(product=other, name="Leads")
    with pytest.raises(ValidationError) as excinfo:
        escalate(ticket, agent, component=foreign)
    assert "component" in excinfo.value.message_dict


def test_a_failure_after_the_defect_is_written_leaves_nothing(ticket, agent, monkeypatch):
    import tickets.services.escalation as escalation

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(escalation, "defect_refresh_impact", boom)
    with pytest.raises(RuntimeError):
        escalate(ticket, agent)
    assert Defect.objects.count() == 0
    assert TicketDefectLink.objects.count() == 0
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert not AuditEntry.objects.filter(action="linked").exists()


def test_a_second_customer_linking_raises_impact_and_severity(make_ticket, agent, other_customer):
    first = make_ticket()
    defect = escalate(first, agent, impact=Impact.SINGLE_USER, urgency=Urgency.BLOCKED)
    assert defect.severity == "S3"

    second = make_ticket(customer=other_customer)
    ticket_link_defect(ticket=second, defect=defect, actor=agent, channel=Channel.WEB)

    defect.refresh_from_db()
    assert defect.impact == Impact.MULTIPLE_CUSTOMERS
    assert defect.severity == "S1"
    assert (defect.customer_count, defect.ticket_count) == (2, 2)
    assert audit_history(defect).filter(field="severity", old="S3", new="S1").exists()


def test_linking_a_closed_defect_is_refused(make_ticket, agent):
    defect = escalate(make_ticket(), agent)
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.WONT_FIX)
    with pytest.raises(ValidationError):
        ticket_link_defect(ticket=make_ticket(), defect=defect, actor=agent, channel=Channel.WEB)


def test_attachments_go_onto_the_defect(ticket, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    shot = check_upload(SimpleUploadedFile("screen.png", PNG, content_type="image/png"))
    defect = escalate(ticket, agent, attachments=[shot])
    attachment = Attachment.objects.get(defect=defect)
    assert attachment.content_type == "image/png"
    assert attachment.name == "screen.png"


def test_escalation_is_audited_with_channel(ticket, agent):
    defect = escalate(ticket, agent, )
    assert audit_history(defect).filter(action="created", actor=agent, channel=Channel.WEB).exists()
    assert audit_history(ticket).filter(field="status", new="awaiting_engineering").exists()
