"""A user's own settings: how notification emails come (core.digests) and the time zone dates are shown in.

The time zone is kept in the session too, set at sign-in and when it changes, so
UserTimeZoneMiddleware activates it for every page without a query.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_changes
from core.models import Preference

TIME_ZONE_SESSION_KEY = "handoff_time_zone"
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def preference_of(user) -> Preference:
    """The user's preferences, or the defaults (unsaved) when they never chose any."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


@transaction.atomic
def preference_update(*, user, digest: str, time_zone: str, actor, channel: str) -> Preference:
    """Set how the user's notification emails come and their time zone ("" for the portal's), audited.

    Choosing a digest starts its period now: it holds what arrives from then on.
    Raises ValidationError keyed by field for an unknown choice; changes nothing then.
    """
    errors = {}
    if digest not in Preference.Digest.values:
        errors["digest"] = "Choose how often notification emails come."
    time_zone = (time_zone or "").strip()
    if time_zone and time_zone not in TIME_ZONES:
        errors["time_zone"] = f"{time_zone!r} is not a time zone this server knows."
    if errors:
        raise ValidationError(errors)
    pref, _ = Preference.objects.select_for_update().get_or_create(user=user)
    changes = {}
    if pref.digest != digest:
        changes["digest"] = (pref.digest, digest)
        pref.digest, pref.digest_from = digest, timezone.now()
    if pref.time_zone != time_zone:
        changes["time_zone"] = (pref.time_zone, time_zone)
        pref.time_zone = time_zone
    if changes:
        pref.save()
        audit_changes(obj=pref, actor=actor, channel=channel, changes=changes)
    return pref


def remember_time_zone(session, user) -> None:
    """Keep the user's time zone in their session ("" for the portal's): at sign-in and after a change."""
    zone = Preference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    session[TIME_ZONE_SESSION_KEY] = zone or ""
