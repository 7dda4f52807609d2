"""One way of writing a date or a moment for people: "4 Dec 2026" and "4 Dec 2026, 19:26".

Moments are shown in the reader's time zone: the one activated for the request
(core.middleware.UserTimeZoneMiddleware: their preference, else settings.TIME_ZONE).
Pages wrap them in <time> with the exact moment on hover (core.widgets.time_tag);
sentences built in Python (notification messages, error messages) use the same
words through format_day and format_moment.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_STRINGS

# Written out rather than through django.utils.dateformat: the site speaks English
# only, and a list page writes a hundred dates, where Django's formatter (a
# translation lookup per name) cost more than the rest of the row.
# Django's equivalents, which tests/core/test_dates.py checks these against:
DAY = "j M Y"
MOMENT = "j M Y, H:i"
EXACT = "l j F Y, H:i:s T"
EXACT_DAY = "l j F Y"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
MONTHS_SHORT = tuple(month[:3] for month in MONTHS)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _day(value: date) -> str:
    return f"{value.day} {MONTHS_SHORT[value.month - 1]} {value.year}"


def _full_day(value: date) -> str:
    return f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


def format_day(value: date | datetime) -> str:
    """'4 Dec 2026': the day, in the reader's time zone for a moment."""
    if isinstance(value, datetime):
        value = _local(value)
    return _day(value)


def format_moment(value: datetime) -> str:
    """'4 Dec 2026, 19:26' in the reader's time zone."""
    value = _local(value)
    return f"{_day(value)}, {value.hour:02d}:{value.minute:02d}"


def format_exact(value: date | datetime) -> str:
    """What a hover shows: 'Friday 4 December 2026, 19:26:21 UTC', or the day in full for a date."""
    if isinstance(value, datetime):
        value = _local(value)
        zone = value.tzname() or ""
        return f"{_full_day(value)}, {value.hour:02d}:{value.minute:02d}:{value.second:02d} {zone}".rstrip()
    return _full_day(value)


def machine_value(value: date | datetime) -> str:
    """The `datetime` attribute of <time>: ISO 8601, to the second."""
    if isinstance(value, datetime):
        return _local(value).replace(microsecond=0).isoformat()
    return value.isoformat()


def parse_moment(text: str) -> date | datetime | None:
    """A date or moment written as text (as the audit trail stores one), or None when it is not one."""
    text = (text or "").strip()
    if not text or not text[:1].isdigit():
        return None
    try:
        moment = parse_datetime(text)
        if moment is not None:
            return moment
        return parse_date(text)
    except ValueError:
        return None


def day_month_year(moment) -> str:
    """"17 Jul 2025" of a time already in the reader's zone, for lists that write one a row."""
    return _day(moment)


class _CountedUnit:
    """One of timesince's unit strings ("%(num)d month"), each count translated once per page.

    A page of 50 ages asks for the same few ("3 months", "2 weeks") again and again.
    """

    def __init__(self, text):
        self.text, self.done = text, {}

    def __mod__(self, values: dict) -> str:
        num = values["num"]
        if num not in self.done:
            self.done[num] = self.text % values
        return self.done[num]


def age_strings() -> dict:
    """timesince's time_strings for one page of ages ("3 days"), each count translated once."""
    return {unit: _CountedUnit(text) for unit, text in TIME_STRINGS.items()}


# timesince's units below a month, with their length in seconds.
_SHORT_UNITS = (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def age(moment: datetime, now: datetime, strings: dict) -> str:
    """The largest whole unit between two aware moments ("3 days", "1 month"), as
    django.utils.timesince.timesince(moment, now, time_strings=strings, depth=1) writes it.

    A list writes one a row: timesince builds every unit and translates its ", "
    separator on each call, where one unit needs neither.
    """
    now = now.astimezone(moment.tzinfo)
    delta = now - moment
    if delta.days * 86400 + delta.seconds > 0:
        months = (now.year - moment.year) * 12 + (now.month - moment.month)
        if moment.day > now.day or (moment.day == now.day and moment.time() > now.time()):
            months -= 1
        if months >= 12:
            return avoid_wrapping(strings["year"] % {"num": months // 12})
        if months:
            return avoid_wrapping(strings["month"] % {"num": months})
        seconds = delta.total_seconds()
        for unit, length in _SHORT_UNITS:
            if seconds >= length:
                return avoid_wrapping(strings[unit] % {"num": int(seconds // length)})
    return avoid_wrapping(strings["minute"] % {"num": 0})
