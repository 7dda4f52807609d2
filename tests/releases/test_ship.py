import pytest
from django.core.exceptions import ValidationError

from core.audit import audit_history
from core.dates import format_day
from core.models import Channel, Notification
from defects.models import Defect
from releases.models import Release
from releases.services.ship import release_ship
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

S = Defect.Status


def ship(release, manager, **kwargs):
    return release_ship(release=release, actor=manager, channel=Channel.WEB, **kwargs)


def test_shipping_releases_every_defect_fixed_in_it_and_returns_its_tickets_to_the_help_desk(
    release, manager, agent, fixed_in
):
    defect = fixed_in(release)
    ticket = Ticket.objects.get(defect_links__defect=defect)
    assert ticket.status == Ticket.Status.AWAITING_ENGINEERING

    result = ship(release, manager)

    release.refresh_from_db()
    assert release.status == Release.Status.RELEASED
    assert release.released_at is not None and release.shipped_by == manager
    defect.refresh_from_db()
    assert defect.status == S.RELEASED
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert result.released == [defect] and result.tickets_fixed == [ticket]
    label = f"fixed in 2.4.0, released {format_day(release.released_at)}"
    assert release.fix_label == label
    assert audit_history(ticket).filter(action="fix_released", new=label, actor=manager).exists()
    assert audit_history(release).filter(field="status", old="planned", new="released", channel=Channel.WEB).exists()
    assert audit_history(defect).filter(field="status", old="fixed", new="released").exists()
    assert Notification.objects.filter(user=agent, message__contains=label).exists()


def test_defects_fixed_in_another_release_or_not_yet_fixed_stay_where_they_are(
    release, next_release, manager, fixed_in, planned_for
):
    elsewhere = fixed_in(next_release)
    ship(release, manager)
    elsewhere.refresh_from_db()
    assert elsewhere.status == S.FIXED


def test_shipping_twice_is_refused(release, manager):
    ship(release, manager)
    first = Release.objects.get(pk=release.pk).released_at
    with pytest.raises(ValidationError) as excinfo:
        ship(release, manager)
    assert "already released" in excinfo.value.message_dict["status"][0]
    assert Release.objects.get(pk=release.pk).released_at == first


def test_a_missed_plan_is_dropped_and_its_tickets_flagged_and_agents_told(release, manager, agent, planned_for):
    defect = planned_for(release)
    ticket = Ticket.objects.get(defect_links__defect=defect)

    result = ship(release, manager)

    defect.refresh_from_db()
    assert defect.planned_release is None
    assert defect.status == S.IN_PROGRESS
    ticket.refresh_from_db()
    assert ticket.planned_fix_slipped is True
    assert result.slipped == [defect] and result.tickets_slipped == [ticket]
    assert audit_history(ticket).filter(field="planned_fix_slipped", new="True").exists()
    assert audit_history(defect).filter(field="planned_release", old="2.4.0", new="").exists()
    told = Notification.objects.get(user=agent, message__contains="did not ship")
    assert "no new estimate yet" in told.message and ticket.number in told.message


def test_a_missed_plan_moves_to_the_next_planned_release_when_the_manager_says_so(
    release, next_release, manager, agent, planned_for
):
    defect = planned_for(release)
    ship(release, manager, move_unfixed_to=next_release)

    defect.refresh_from_db()
    assert defect.planned_release == next_release
    ticket = Ticket.objects.get(defect_links__defect=defect)
    assert ticket.planned_fix_slipped is True
    told = Notification.objects.get(user=agent, message__contains="did not ship")
    assert "now planned for 2.5.0 (an estimate)" in told.message


def test_a_new_plan_or_the_fix_clears_the_slipped_flag(release, next_release, manager, engineer, planned_for):
    from defects.services.changes import defect_update

    defect = planned_for(release)
    ship(release, manager)
    ticket = Ticket.objects.get(defect_links__defect=defect)
    assert Ticket.objects.get(pk=ticket.pk).planned_fix_slipped

    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=next_release)
    assert not Ticket.objects.get(pk=ticket.pk).planned_fix_slipped
    assert audit_history(ticket).filter(field="planned_fix_slipped", old="True", new="False").exists()


def test_fixing_the_defect_clears_the_slipped_flag(release, next_release, manager, engineer, planned_for):
    from defects.services.changes import defect_update
    from tests.factories import move

    defect = planned_for(release)
    ship(release, manager)
    ticket = Ticket.objects.get(defect_links__defect=defect)
    move(defect, S.IN_VERIFICATION, engineer)
    assert Ticket.objects.get(pk=ticket.pk).planned_fix_slipped
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=next_release)
    assert Ticket.objects.get(pk=ticket.pk).planned_fix_slipped
    move(defect, S.FIXED, engineer)
    assert not Ticket.objects.get(pk=ticket.pk).planned_fix_slipped


@pytest.mark.parametrize("target", ["same", "shipped", "older", "foreign"])
def test_moving_missed_plans_needs_a_later_planned_release_of_the_product(
    target, release, product, manager, planned_for
):
    from tickets.models import Product

    choices = {
        "same": lambda: release,
        "shipped": lambda: Release.objects.create(
            product=product, version="2.6.0", status="released", released_at="2026-01-01T00:00Z"
        ),
        "older": lambda: Release.objects.create(product=product, version="2.3.9"),
        "foreign": lambda: Release.objects.create(
            product=Product.objects.create(name="CRM", code="crm"), version="9.0.0"
        ),
    }
    defect = planned_for(release)
    with pytest.raises(ValidationError) as excinfo:
        ship(release, manager, move_unfixed_to=choices[target]())
    assert "move_unfixed_to" in excinfo.value.message_dict
    assert Release.objects.get(pk=release.pk).status == Release.Status.PLANNED
    assert Defect.objects.get(pk=defect.pk).planned_release == release


def test_a_failure_while_shipping_leaves_nothing_half_written(release, manager, fixed_in, planned_for, monkeypatch):
    import releases.services.ship as ship_module

    fixed = fixed_in(release)
    planned = planned_for(release)

    def boom(**kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(ship_module, "tickets_flag_slipped", boom)
    with pytest.raises(RuntimeError):
        ship(release, manager)
    assert Release.objects.get(pk=release.pk).status == Release.Status.PLANNED
    assert Defect.objects.get(pk=fixed.pk).status == S.FIXED
    assert Defect.objects.get(pk=planned.pk).planned_release == release
    assert not audit_history(Release.objects.get(pk=release.pk)).filter(action="shipped").exists()


def _in_progress_marked_fixed_in(release, planned_for, engineer):
    """An open defect that names `release` as fixed in (as code traceability or a person may) before its fix."""
    defect = planned_for(release)
    Defect.objects.filter(pk=defect.pk).update(fixed_in_release=release)
    defect.refresh_from_db()
    return defect


def test_a_defect_not_yet_fixed_is_not_counted_fixed_on_any_page_or_chart(
    release, manager, engineer, fixed_in, planned_for, as_user
):
    from releases.selectors import release_defects, release_list_rows
    from releases.services.report import release_report
    from releases.services.stats import fixed_per_release

    done = fixed_in(release)
    _in_progress_marked_fixed_in(release, planned_for, engineer)
    ship(release, manager)

    [row] = release_list_rows([release])
    fixed_page, _ = release_defects(release)
    chart = fixed_per_release()
    assert row.fixed_count == 1 and [d.key for d in fixed_page] == [done.key]
    assert chart["datasets"][0]["data"] == [1]
    assert [d.key for d in release_report(release).defects] == [done.key]


def test_moving_to_fixed_in_a_release_that_has_shipped_releases_the_defect_at_once(
    release, manager, engineer, planned_for, make_ticket
):
    from defects.services.transitions import defect_transition

    defect = _in_progress_marked_fixed_in(release, planned_for, engineer)
    ship(release, manager, move_unfixed_to=None)
    defect.refresh_from_db()
    defect_transition(defect=defect, to=Defect.Status.IN_VERIFICATION, actor=engineer, channel=Channel.WEB)

    moved = defect_transition(defect=defect, to=Defect.Status.FIXED, actor=engineer, channel=Channel.WEB)

    assert moved.status == Defect.Status.RELEASED and moved.fixed_in_release == release
    assert "which has already shipped" in moved.status_reason
    assert Ticket.objects.get(defect_links__defect=defect).status == Ticket.Status.OPEN  # back with the help desk
    assert audit_history(defect).filter(field="status", old="fixed", new="released").exists()


def test_a_fixed_defect_cannot_be_said_fixed_in_a_release_that_has_shipped(
    release, next_release, manager, engineer, fixed_in
):
    from defects.services.changes import defect_update

    defect = fixed_in(next_release)
    ship(release, manager)

    with pytest.raises(ValidationError) as refused:
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release.pk)

    assert "has already shipped" in refused.value.message_dict["fixed_in_release"][0]
    defect.refresh_from_db()
    assert defect.fixed_in_release == next_release and defect.status == Defect.Status.FIXED


@pytest.mark.parametrize("moved_to", ["none", "planned"])
def test_a_released_defect_stays_fixed_in_a_shipped_release(release, next_release, manager, engineer, fixed_in,
                                                              moved_to):
    from defects.services.changes import defect_update

    defect = fixed_in(release)
    ship(release, manager)

    with pytest.raises(ValidationError) as refused:
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB,
                      fixed_in_release=None if moved_to == "none" else next_release.pk)

    assert "reopen it" in refused.value.message_dict["fixed_in_release"][0]
    defect.refresh_from_db()
    assert (defect.status, defect.fixed_in_release) == (Defect.Status.RELEASED, release)


def test_the_tickets_history_reads_the_release_once_and_the_defects_move_in_words(
    release, manager, engineer, agent, fixed_in
):
    from core.history import history_lines

    defect = fixed_in(release)
    ticket = Ticket.objects.get(defect_links__defect=defect)
    ship(release, manager)
    release.refresh_from_db()

    said = [" ".join(f"{line.verb} {line.field} {line.new.text}".split()) for line in history_lines(ticket, limit=20)]
    assert f"recorded the fix as released: {release.fix_label}" in said
    reasons = [line.reason for line in history_lines(ticket, limit=20) if line.reason]
    assert any(r.startswith(f"{defect.key} moved to released") for r in reasons)
    assert not any(" is released" in r or " is fixed" in r for r in reasons)
