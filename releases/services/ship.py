"""Shipping a release: fixes reach the help desk, missed plans are withdrawn."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_changes, audit_record
from core.dates import format_day
from defects.models import Defect, TicketDefectLink
from defects.services.changes import defect_update
from defects.services.transitions import defect_transition
from releases.code.services.fixed_in import fixed_in_from_code, ship_check, ship_require_reason
from releases.models import Release
from releases.selectors import TABLE_FIELDS
from tickets.models import ProductVersion, Ticket
from tickets.services.slip import tickets_flag_slipped


@dataclass
class ShipResult:
    release: Release
    released: list[Defect] = field(default_factory=list)
    slipped: list[Defect] = field(default_factory=list)
    tickets_fixed: list[Ticket] = field(default_factory=list)
    tickets_slipped: list[Ticket] = field(default_factory=list)


def _check_target(release: Release, target: Release | None) -> None:
    if target is None:
        return
    if (
        target.pk == release.pk
        or target.product_id != release.product_id
        or target.status != Release.Status.PLANNED
        or target.version_key <= release.version_key
    ):
        raise ValidationError(
            {"move_unfixed_to": f"Choose a planned release of {release.product} later than {release.version}."}
        )


def ship_preview(release: Release) -> dict:
    """What shipping would do now: the defects it releases, the ones whose plan slips, and what the code says."""
    defects = Defect.objects.select_related("team").only(*TABLE_FIELDS).order_by("severity", "pk")
    return {
        "code": ship_check(release),
        "released": list(defects.filter(fixed_in_release=release, status=Defect.Status.FIXED)),
        "slipped": list(defects.filter(planned_release=release, status__in=Defect.OPEN_STATUSES)),
    }


def _version_selectable(release: Release, *, actor, channel: str) -> ProductVersion:
    """The shipped release's product version, created when missing (audited).

    Customers run what shipped: it is then a version their tickets and their
    installations (the customer portal) can name, with no step in the admin.
    """
    version, created = ProductVersion.objects.get_or_create(product_id=release.product_id, name=release.version)
    if created:
        audit_record(obj=version, actor=actor, channel=channel, action="created",
                     new=f"{release.product} {release.version}, shipped")
    return version


@transaction.atomic
def release_ship(
    *, release: Release, actor, channel: str, move_unfixed_to: Release | None = None, reason: str = ""
) -> ShipResult:
    """Mark `release` released, all or nothing.

    - Every defect fixed in it (status `fixed`, fixed_in_release = it) moves to
      `released`; the transition service moves its tickets to the help desk's
      follow-up state and notifies their agents. Each linked ticket records
      "fixed in <version>, released <date>".
    - Every open defect still planned for it loses the plan, or moves to
      `move_unfixed_to` (a later planned release of the same product); its open
      tickets get `planned_fix_slipped` and their agents are notified.

    - The release's version becomes a product version (when it is not one
      yet), so tickets and installations can name it.
    - Defects without a "fixed in" whose fix the release's tag brings first
      get it (releases.code), each with an audit row naming the commit.

    Raises ValidationError (`status`) when the release already shipped,
    (`move_unfixed_to`) for a target that is not a later planned release, and
    (`reason`) when the tag lacks fixes marked for the release and no reason is given.
    """
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.is_released:
        raise ValidationError(
            {"status": f"{release.version} was already released on {format_day(release.released_at)}."}
        )
    _check_target(release, move_unfixed_to)
    ship_require_reason(release=release, reason=reason)

    now = timezone.now()
    release.status, release.released_at, release.shipped_by = Release.Status.RELEASED, now, actor
    release.save(update_fields=["status", "released_at", "shipped_by"])
    audit_changes(
        obj=release, actor=actor, channel=channel, action="shipped",
        changes={"status": (Release.Status.PLANNED, Release.Status.RELEASED), "released_at": (None, now)},
        reason=reason.strip(),
    )
    _version_selectable(release, actor=actor, channel=channel)
    result = ShipResult(release=release)

    fixed = list(
        Defect.objects.select_for_update()
        .filter(fixed_in_release=release, status=Defect.Status.FIXED)
        .order_by("pk")
    )
    for defect in fixed:
        defect_transition(
            defect=defect, to=Defect.Status.RELEASED, actor=actor, channel=channel,
            reason=f"Shipped in {release.product} {release.version}.", via_release=True,
        )
        result.released.append(defect)
    fixed_ticket_ids = TicketDefectLink.objects.filter(defect__in=fixed).values("ticket_id")
    result.tickets_fixed = list(Ticket.objects.filter(pk__in=fixed_ticket_ids).order_by("pk"))
    for ticket in result.tickets_fixed:
        audit_record(
            obj=ticket, actor=actor, channel=channel, action="fix_released",
            field="fixed_in_release", new=release.fix_label,
        )

    missed = list(
        Defect.objects.select_for_update()
        .filter(planned_release=release, status__in=Defect.OPEN_STATUSES)
        .order_by("pk")
    )
    for defect in missed:
        defect_update(defect=defect, actor=actor, channel=channel, planned_release=move_unfixed_to)
        result.slipped.append(defect)
        result.tickets_slipped += tickets_flag_slipped(
            defect=defect, release=release, new_plan=move_unfixed_to, actor=actor, channel=channel
        )
    fixed_in_from_code(release=release)
    return result
