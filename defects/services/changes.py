"""Engineering's edits to a defect: severity, team, planned and fixed-in release, title, description."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from core.audit import audit_changes
from core.models import Notification
from core.notifications import notify
from defects.hooks import defect_changed, defect_edited
from defects.models import Defect, Team
from defects.severity import Severity

EDITABLE = (
    "severity", "severity_reason", "team", "planned_release", "fixed_in_release", "title", "description",
    # The report's sections: a tracker's description edit is read back into them.
    "steps_to_reproduce", "expected_result", "actual_result", "environment",
)


def routed_message(defect: Defect, team) -> str:
    """What a team is told of a defect routed to it: "DEF-7 Totals are off (high) was routed to Billing"."""
    return f"{defect.key} {defect.title} ({defect.severity}) was routed to {team}"


def notify_routed(*, defect: Defect, actor) -> None:
    """Tell the members of the defect's team that it landed in their queue."""
    if defect.team_id is None:
        return
    notify(
        users=defect.team.members.all(), kind=Notification.Kind.ROUTED, message=routed_message(defect, defect.team),
        url=reverse("defects:detail", args=[defect.pk]), actor=actor, team_wide=True,
    )


def _release_of(defect: Defect, field: str, value):
    if value in (None, ""):
        return None
    # Releases live in an app above this one: reach them through the defect's own foreign key.
    release_model = Defect._meta.get_field(field).related_model
    if not isinstance(value, release_model):
        try:
            value = release_model.objects.get(pk=value)
        except (release_model.DoesNotExist, ValueError, TypeError):
            raise ValidationError({field: f"There is no release {value}."}) from None
    if value.product_id != defect.product_id:
        raise ValidationError({field: f"Release {value.version} is not a release of {defect.product}."})
    if field == "planned_release" and value.is_released:
        raise ValidationError(
            {field: f"{value.version} has already shipped; plan a release that has not, or set the fixed-in release."}
        )
    return value


def _team_of(value) -> Team | None:
    if value in (None, ""):
        return None
    if not isinstance(value, Team):
        try:
            value = Team.objects.get(pk=value)
        except (Team.DoesNotExist, ValueError, TypeError):
            raise ValidationError({"team": f"There is no team {value}."}) from None
    if value.kind != Team.Kind.ENGINEERING:
        raise ValidationError(
            {"team": f"{value.name} triages enhancement requests: a defect goes to an engineering team."}
        )
    return value


def _clean(defect: Defect, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({k: "This field cannot be changed here." for k in unknown})
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in changes.items():
        try:
            if name == "severity":
                if value not in Severity.values:
                    raise ValidationError(
                        {name: f"{value!r} is not a severity. Choose one of: {', '.join(Severity.values)}."}
                    )
                clean[name] = value
            elif name == "team":
                clean[name] = _team_of(value)
            elif name in ("planned_release", "fixed_in_release"):
                clean[name] = _release_of(defect, name, value)
            elif name == "title":
                value = (value or "").strip()
                if not value:
                    raise ValidationError({name: "A title is required."})
                if len(value) > 200:
                    raise ValidationError({name: "At most 200 characters."})
                clean[name] = value
            else:
                clean[name] = (value or "").strip() if name == "severity_reason" else (value or "")
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if "severity" in clean and clean["severity"] != defect.severity and not clean.get("severity_reason"):
        errors["severity_reason"] = (
            f"Say why the severity changes from {defect.severity} to {clean['severity']}; the help desk sees it."
        )
    if defect.status == Defect.Status.FIXED and "fixed_in_release" in clean:
        # Shipping releases only the defects fixed in it: a fixed defect whose release is gone or
        # has already shipped would wait for ever.
        release = clean["fixed_in_release"]
        if release is None:
            errors["fixed_in_release"] = f"{defect.key} is fixed: it keeps the release it is fixed in; choose another."
        elif release.is_released and release.pk != defect.fixed_in_release_id:
            errors["fixed_in_release"] = (
                f"{release.version} has already shipped: {defect.key} is fixed and waits for a release still to ship."
            )
    if defect.status == Defect.Status.RELEASED and "fixed_in_release" in clean:
        # Released means shipped: in a release that has shipped, never in none or one still planned.
        release = clean["fixed_in_release"]
        if release is None or not release.is_released:
            errors["fixed_in_release"] = (
                f"{defect.key} is released: it is fixed in a release that has shipped. "
                "If the problem is back, reopen it."
            )
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def defect_update(*, defect: Defect, actor, channel: str, **changes: Any) -> Defect:
    """Change only the given fields, audited, and tell whoever needs to know.

    Keys: severity (with severity_reason when it changes), team (a Team, its id,
    or None for Unrouted), planned_release and fixed_in_release (a Release of the
    defect's product, its id, or None), title, description. An absent key is left
    alone. Bad input raises ValidationError keyed by field and changes nothing.
    A new team is told (routed); the help desk is told of a new planned release
    and a new severity with its reason.
    """
    Defect.objects.select_for_update().filter(pk=defect.pk).exists()
    defect.refresh_from_db()
    clean = _clean(defect, changes)
    if "severity" in clean and clean["severity"] == defect.severity:
        # An unchanged severity keeps the reason it already had.
        clean.pop("severity")
        clean.pop("severity_reason", None)
    diff = {name: (getattr(defect, name), value) for name, value in clean.items() if getattr(defect, name) != value}
    if not diff:
        return defect
    for name, (_, value) in diff.items():
        setattr(defect, name, value)
    defect.save(update_fields=[*diff, "updated_at"])
    reason = defect.severity_reason if "severity" in diff else ""
    audit_changes(obj=defect, actor=actor, channel=channel, changes=diff, reason=reason)
    defect_changed.send(defect=defect, changed=frozenset(diff), channel=channel)

    if "team" in diff:
        notify_routed(defect=defect, actor=actor)
    defect_edited.send(defect=defect, changes=diff, actor=actor, channel=channel)
    return defect
