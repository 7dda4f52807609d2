import pytest
from django.core.exceptions import ValidationError

from core.audit import audit_history
from core.models import Channel, Notification
from defects.models import Defect
from defects.services.changes import defect_update
from releases.models import Release
from tests.factories import escalate

pytestmark = pytest.mark.django_db


def update(defect, actor, **changes):
    return defect_update(defect=defect, actor=actor, channel=Channel.WEB, **changes)


@pytest.fixture
def defect(ticket, agent):
    return escalate(ticket, agent)


def test_a_severity_change_needs_a_reason(defect, engineer):
    with pytest.raises(ValidationError) as excinfo:
        update(defect, engineer, severity="S1")
    assert "severity_reason" in excinfo.value.message_dict
    assert Defect.objects.get(pk=defect.pk).severity == "S2"


def test_a_severity_change_with_a_reason_is_audited_and_shown_to_the_agents(defect, engineer, agent):
    update(defect, engineer, severity="S1", severity_reason="Data loss on save")
    defect.refresh_from_db()
    assert (defect.severity, defect.severity_reason) == ("S1", "Data loss on save")
    assert audit_history(defect).filter(field="severity", old="S2", new="S1", reason="Data loss on save").exists()
    note = Notification.objects.get(user=agent, kind=Notification.Kind.SEVERITY)
    assert "S2 -> S1: Data loss on save" in note.message


def test_an_unknown_severity_is_refused(defect, engineer):
    with pytest.raises(ValidationError) as excinfo:
        update(defect, engineer, severity="S9", severity_reason="x")
    assert "severity" in excinfo.value.message_dict


def test_only_the_given_fields_change(defect, engineer, other_team):
    update(defect, engineer, team=other_team)
    defect.refresh_from_db()
    assert defect.team == other_team
    assert defect.title == "PDF export times out on large invoices"
    assert [e.field for e in audit_history(defect).filter(action="changed")] == ["team"]


def test_a_new_team_is_told_the_defect_was_routed_to_it(defect, engineer, other_team, manager):
    other_team.members.add(manager)
    update(defect, engineer, team=other_team)
    note = Notification.objects.get(user=manager, kind=Notification.Kind.ROUTED)
    assert defect.key in note.message and "Platform" in note.message


def test_none_sends_the_defect_to_the_unrouted_queue(defect, engineer):
    update(defect, engineer, team=None)
    assert Defect.objects.get(pk=defect.pk).team is None


def test_a_planned_release_reads_as_an_estimate_to_the_agents(defect, engineer, agent, release):
    update(defect, engineer, planned_release=release)
    assert Defect.objects.get(pk=defect.pk).planned_release == release
    note = Notification.objects.get(user=agent, kind=Notification.Kind.PLANNED_RELEASE)
    assert "planned for 2.4.0 (an estimate, not a promise)" in note.message


def test_a_release_of_another_product_is_refused(defect, engineer):
    from tickets.models import Product

    crm = Product.objects.create(name="CRM", code="crm")
    foreign = Release.objects.create(product=crm, version="9.0")
    for field in ("planned_release", "fixed_in_release"):
        with pytest.raises(ValidationError) as excinfo:
            update(defect, engineer, **{field: foreign})
        assert field in excinfo.value.message_dict
    defect.refresh_from_db()
    assert defect.planned_release is None and defect.fixed_in_release is None


def test_a_shipped_release_cannot_be_planned_but_can_be_the_fix(defect, engineer, product):
    from django.utils import timezone

    shipped = Release.objects.create(product=product, version="2.2.0", status="released", released_at=timezone.now())
    with pytest.raises(ValidationError):
        update(defect, engineer, planned_release=shipped)
    update(defect, engineer, fixed_in_release=shipped.pk)
    assert Defect.objects.get(pk=defect.pk).fixed_in_release == shipped


def test_bad_input_changes_nothing(defect, engineer, other_team):
    with pytest.raises(ValidationError) as excinfo:
        update(defect, engineer, team=other_team, title="  ", planned_release=424242)
    assert set(excinfo.value.message_dict) == {"title", "planned_release"}
    assert Defect.objects.get(pk=defect.pk).team != other_team


def test_unknown_fields_are_refused(defect, engineer):
    with pytest.raises(ValidationError) as excinfo:
        update(defect, engineer, status="fixed")
    assert "status" in excinfo.value.message_dict


def test_an_unchanged_value_writes_no_audit_row(defect, engineer):
    before = audit_history(defect).count()
    update(defect, engineer, title=defect.title, severity=defect.severity)
    assert audit_history(defect).count() == before


def test_a_defect_goes_only_to_an_engineering_team_on_every_path(defect, engineer, team, api, as_user):
    from defects.models import Team

    product_team = Team.objects.create(name="Billing product", kind=Team.Kind.PRODUCT)

    with pytest.raises(ValidationError) as refused:
        update(defect, engineer, team=product_team.pk)
    answered = api(engineer).patch(f"/api/defects/{defect.pk}/", {"team": product_team.pk}, format="json")
    page = as_user(engineer).get(f"/defects/{defect.pk}/").content.decode()
    queue = as_user(engineer).get("/defects/queue/").content.decode()

    assert "engineering team" in refused.value.message_dict["team"][0]
    assert answered.status_code == 400 and "team" in answered.json()
    edit_teams = page.split('name="team"', 1)[1].split("</select>", 1)[0]
    bulk_teams = queue.split('id="bulk_team"', 1)[1].split("</select>", 1)[0]
    assert product_team.name not in edit_teams and product_team.name not in bulk_teams
    assert team.name in edit_teams and team.name in bulk_teams
    defect.refresh_from_db()
    assert defect.team == team
