import pytest
from django.core.exceptions import ValidationError

from core.audit import audit_history
from core.models import Channel
from defects.models import Defect, TicketDefectLink
from defects.services.changes import defect_update
from tests.factories import ROUTE, escalate, link, move, walk
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

S = Defect.Status
CLOSING = [S.NEEDS_INFO, S.WONT_FIX, S.CANNOT_REPRODUCE, S.DUPLICATE]

# The state machine written out by hand, so the test does not trust the code's own table.
EXPECTED = {
    S.NEW: {S.TRIAGE, *CLOSING},
    S.TRIAGE: {S.IN_PROGRESS, *CLOSING},
    S.IN_PROGRESS: {S.IN_VERIFICATION, *CLOSING},
    S.IN_VERIFICATION: {S.FIXED, S.IN_PROGRESS, *CLOSING},
    S.FIXED: set(),
}


def _kwargs(to, other):
    if to == S.DUPLICATE:
        return {"duplicate_of": other, "reason": "Same timeout"}
    return {"reason": "Because"}


@pytest.fixture
def other_defect(make_ticket, agent):
    return escalate(make_ticket(subject="Second report"), agent, title="Invoice export hangs")


@pytest.mark.parametrize("start", list(EXPECTED))
@pytest.mark.parametrize("to", [s for s in S.values if s != S.RELEASED])
def test_every_manual_move_is_allowed_or_refused_as_the_machine_says(
    start, to, ticket, agent, engineer, other_defect, release
):
    defect = walk(escalate(ticket, agent), start, engineer)
    if to == S.FIXED and defect.planned_release_id is None:
        defect = defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    if to in EXPECTED[start]:
        defect = move(defect, to, engineer, **_kwargs(to, other_defect))
        assert defect.status == to
        assert Defect.objects.get(pk=defect.pk).status == to
    else:
        with pytest.raises(ValidationError) as excinfo:
            move(defect, to, engineer, **_kwargs(to, other_defect))
        message = excinfo.value.message_dict["to"][0]
        assert "allowed: " in message
        for allowed in EXPECTED[start]:
            assert S(allowed).label in message
        assert Defect.objects.get(pk=defect.pk).status == start


@pytest.mark.parametrize("final", [S.WONT_FIX, S.CANNOT_REPRODUCE, S.DUPLICATE])
def test_closed_defects_cannot_move_at_all(final, ticket, agent, engineer, other_defect):
    defect = move(escalate(ticket, agent), final, engineer, **_kwargs(final, other_defect))
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.TRIAGE, engineer)
    assert "allowed: none" in excinfo.value.message_dict["to"][0]


def test_released_is_refused_by_hand_and_allowed_when_a_release_ships(ticket, agent, engineer, manager):
    defect = walk(escalate(ticket, agent), S.FIXED, engineer)
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.RELEASED, manager)
    assert "allowed: none" in excinfo.value.message_dict["to"][0]

    defect = move(defect, S.RELEASED, manager, channel=Channel.SYSTEM, via_release=True)
    assert defect.status == S.RELEASED


def test_a_release_cannot_release_a_defect_that_is_not_fixed(ticket, agent, manager):
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, manager)
    with pytest.raises(ValidationError):
        move(defect, S.RELEASED, manager, via_release=True)


def test_an_unknown_status_is_refused_naming_the_allowed_ones(ticket, agent, engineer):
    defect = escalate(ticket, agent)
    with pytest.raises(ValidationError) as excinfo:
        move(defect, "done", engineer)
    assert excinfo.value.message_dict["to"] == [
        f"{defect.key} cannot move from New to 'done'; "
        "allowed: Triage, Needs information, Won't fix, Cannot reproduce, Duplicate."
    ]


@pytest.mark.parametrize("to", [S.NEEDS_INFO, S.WONT_FIX, S.CANNOT_REPRODUCE])
def test_outcomes_the_help_desk_must_explain_need_a_reason(to, ticket, agent, engineer):
    defect = escalate(ticket, agent)
    with pytest.raises(ValidationError) as excinfo:
        move(defect, to, engineer, reason="  ")
    assert "reason" in excinfo.value.message_dict
    assert Defect.objects.get(pk=defect.pk).status == S.NEW


def test_every_move_is_audited_with_who_how_and_why(ticket, agent, engineer):
    defect = escalate(ticket, agent)
    move(defect, S.TRIAGE, engineer, channel=Channel.API, reason="Looking at it")
    entry = audit_history(defect).get(field="status")
    assert (entry.old, entry.new, entry.actor, entry.channel, entry.reason) == (
        "new", "triage", engineer, Channel.API, "Looking at it"
    )
    assert entry.at is not None


@pytest.mark.parametrize("start", [S.NEW, S.TRIAGE, S.IN_PROGRESS, S.IN_VERIFICATION])
def test_needs_info_returns_to_the_state_it_came_from(start, ticket, agent, engineer):
    defect = walk(escalate(ticket, agent), start, engineer)
    defect = move(defect, S.NEEDS_INFO, engineer, reason="Which browser?")
    assert defect.needs_info_from == start
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.FIXED if start != S.IN_VERIFICATION else S.TRIAGE, engineer)
    assert f"allowed: {start.label}," in excinfo.value.message_dict["to"][0]

    defect = move(defect, start, engineer)
    assert defect.status == start
    assert defect.needs_info_from == ""


def test_a_duplicate_needs_its_original(ticket, agent, engineer):
    defect = escalate(ticket, agent)
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.DUPLICATE, engineer)
    assert "duplicate_of" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.DUPLICATE, engineer, duplicate_of=defect)
    assert "itself" in excinfo.value.message_dict["duplicate_of"][0]
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.DUPLICATE, engineer, duplicate_of=999999)
    assert "duplicate_of" in excinfo.value.message_dict


def test_a_duplicate_of_another_products_defect_is_refused(ticket, agent, engineer, customer):
    from tickets.models import Product
    from tickets.services.tickets import ticket_create

    crm = Product.objects.create(name="CRM", code="crm")
    foreign_ticket = ticket_create(
        actor=agent, channel=Channel.WEB, subject="Leads vanish", customer=customer, product=crm
    )
    foreign = escalate(foreign_ticket, agent, title="Leads vanish")
    with pytest.raises(ValidationError) as excinfo:
        move(escalate(ticket, agent), S.DUPLICATE, engineer, duplicate_of=foreign)
    assert "another product" in excinfo.value.message_dict["duplicate_of"][0]


def test_merging_a_duplicate_moves_its_tickets_and_keeps_their_history(
    make_ticket, agent, engineer, other_customer
):
    original = walk(escalate(make_ticket(), agent, title="Export times out"), S.IN_PROGRESS, engineer)
    first = make_ticket(subject="Export slow", customer=other_customer)
    second = make_ticket(subject="Export broken")
    duplicate = escalate(first, agent, title="PDF export slow")
    link(second, duplicate, agent)

    duplicate = move(duplicate, S.DUPLICATE, engineer, duplicate_of=original, reason="Same root cause")

    assert duplicate.duplicate_of == original
    assert set(TicketDefectLink.objects.filter(defect=original).values_list("ticket_id", flat=True)) >= {
        first.pk, second.pk
    }
    assert not TicketDefectLink.objects.filter(defect=duplicate).exists()
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert (original.ticket_count, original.customer_count) == (3, 2)
    assert (duplicate.ticket_count, duplicate.customer_count) == (0, 0)
    for ticket in (first, second):
        assert audit_history(ticket).filter(
            action="relinked", old=duplicate.key, new=original.key, actor=engineer
        ).exists()
        ticket.refresh_from_db()
        # They follow the original, which engineering is working on.
        assert ticket.status == Ticket.Status.AWAITING_ENGINEERING
    assert audit_history(original).filter(action="merged").exists()


def test_a_ticket_already_on_the_original_keeps_one_link(make_ticket, agent, engineer):
    shared_ticket = make_ticket()
    original = escalate(shared_ticket, agent, title="Export times out")
    duplicate = escalate(make_ticket(), agent, title="Export slow")
    TicketDefectLink.objects.create(ticket=shared_ticket, defect=duplicate, linked_by=agent)

    move(duplicate, S.DUPLICATE, engineer, duplicate_of=original, reason="Same")

    assert TicketDefectLink.objects.filter(ticket=shared_ticket).count() == 1


def test_the_forward_route_used_by_these_tests_is_the_chain(ticket, agent, engineer):
    defect = walk(escalate(ticket, agent), S.FIXED, engineer)
    statuses = list(audit_history(defect).filter(field="status").order_by("at", "id").values_list("new", flat=True))
    assert statuses == [str(s) for s in ROUTE[S.FIXED]]


def test_a_defect_cannot_be_fixed_without_saying_in_which_release(ticket, agent, engineer):
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, engineer)
    with pytest.raises(ValidationError) as excinfo:
        move(defect, S.FIXED, engineer)
    message = excinfo.value.message_dict["to"][0]
    assert message == (
        f"Say in which release {defect.key} is fixed before moving it to Fixed: "
        "set its fixed-in release, or the release it is planned for."
    )
    assert Defect.objects.get(pk=defect.pk).status == S.IN_VERIFICATION


def test_fixing_a_defect_planned_for_a_release_makes_it_fixed_in_that_release(ticket, agent, engineer, release):
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)
    defect = move(defect, S.FIXED, engineer)
    assert (defect.status, Defect.objects.get(pk=defect.pk).fixed_in_release) == (S.FIXED, release)
    assert audit_history(defect).filter(field="fixed_in_release", new=str(release), action="transition").exists()


def test_a_fixed_defect_keeps_the_release_it_is_fixed_in(ticket, agent, engineer, release):
    defect = walk(escalate(ticket, agent), S.IN_VERIFICATION, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=release)
    defect = move(defect, S.FIXED, engineer)
    with pytest.raises(ValidationError) as excinfo:
        defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=None)
    assert "keeps the release it is fixed in" in excinfo.value.message_dict["fixed_in_release"][0]
    assert Defect.objects.get(pk=defect.pk).fixed_in_release == release


@pytest.mark.parametrize("closed", [S.WONT_FIX, S.CANNOT_REPRODUCE])
def test_closing_without_a_fix_drops_the_planned_release_and_the_ticket_stops_promising_it(
    ticket, agent, engineer, release, client, closed
):
    defect = walk(escalate(ticket, agent), S.IN_PROGRESS, engineer)
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, planned_release=release)

    defect = move(defect, closed, engineer, reason="Works as designed.")

    assert defect.planned_release is None
    assert audit_history(defect).filter(field="planned_release", old=release.version).exists()
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "(estimate, not a promise)" not in page and release.version not in page
