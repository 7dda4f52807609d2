"""People read labels, never stored codes, and one date style in their own time zone."""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.timesince import timesince
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dates import age, age_strings, day_month_year, format_day, format_moment
from core.history import history_lines, humanize_code
from core.jinja2 import environment
from core.models import Channel
from core.preferences import preference_update
from core.widgets import time_tag
from defects.models import Defect
from tests.factories import escalate, move, walk

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 12, 4, 19, 26, 21, 416648, tzinfo=dt_timezone.utc)


def test_a_moment_is_written_one_way_with_the_exact_time_on_hover():
    with timezone.override(ZoneInfo("UTC")):
        html = str(time_tag(MOMENT))
    assert html == (
        '<time datetime="2026-12-04T19:26:21+00:00" title="Friday 4 December 2026, 19:26:21 UTC">'
        "4 Dec 2026, 19:26</time>"
    )


def test_a_day_and_a_date_share_the_style():
    with timezone.override(ZoneInfo("UTC")):
        assert ">4 Dec 2026</time>" in str(time_tag(MOMENT, "day"))
        assert str(time_tag(date(2027, 3, 1))) == (
            '<time datetime="2027-03-01" title="Monday 1 March 2027">1 Mar 2027</time>'
        )
    assert time_tag(None) == ""


def test_moments_show_in_the_readers_time_zone():
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert format_moment(MOMENT) == "5 Dec 2026, 04:26"
        assert format_day(MOMENT) == "5 Dec 2026"
        assert "JST" in str(time_tag(MOMENT))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_the_written_out_formats_say_what_djangos_date_formatter_says(zone):
    from django.utils.dateformat import format as django_format

    from core.dates import DAY, EXACT, EXACT_DAY, MOMENT, format_exact

    moments = [datetime(2026, month, day, hour, minute, second, tzinfo=dt_timezone.utc)
               for month, day, hour, minute, second in [(1, 1, 0, 0, 0), (3, 29, 1, 30, 5), (7, 4, 23, 59, 59),
                                                        (10, 25, 0, 59, 1), (12, 31, 12, 5, 9)]]
    with timezone.override(ZoneInfo(zone)):
        for moment in moments:
            local = timezone.localtime(moment)
            assert format_moment(moment) == django_format(local, MOMENT)
            assert format_day(moment) == django_format(local, DAY) == day_month_year(local)
            expected = django_format(local, EXACT)
            if expected.endswith(" "):
                # In the hour a clock goes back Django leaves the zone out; ours still names it.
                assert format_exact(moment).startswith(expected) and format_exact(moment) != expected.rstrip()
            else:
                assert format_exact(moment) == expected
        for day in (date(2026, 2, 28), date(2024, 2, 29), date(2027, 11, 7)):
            assert format_day(day) == django_format(day, DAY)
            assert format_exact(day) == django_format(day, EXACT_DAY)


def test_django_and_jinja2_templates_write_the_same_time_element():
    django_html = Template("{{ at|when }}").render(Context({"at": MOMENT}))
    jinja_html = environment(autoescape=True).from_string("{{ at|when }}").render(at=MOMENT)
    assert django_html == jinja_html == str(time_tag(MOMENT))
    assert Template('{{ missing|when|default:"never" }}').render(Context({})) == "never"


def test_a_users_time_zone_applies_from_sign_in_on(client, agent, ticket):
    preference_update(user=agent, digest="immediate", time_zone="Asia/Tokyo", actor=agent, channel=Channel.WEB)
    type(ticket).objects.filter(pk=ticket.pk).update(created_at=MOMENT)
    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert ">5 Dec 2026, 04:26</time>" in html


def test_codes_become_labels():
    assert humanize_code("awaiting_engineering") == "Awaiting engineering"
    assert humanize_code("DEF-12") == "DEF-12"


def test_history_names_statuses_by_label_and_moments_in_the_date_style(ticket, agent, engineer):
    defect = escalate(ticket, agent)
    move(defect, Defect.Status.TRIAGE, engineer)
    with timezone.override(ZoneInfo("UTC")):
        ticket_lines = history_lines(ticket, limit=50)
        defect_lines = history_lines(defect, limit=50)
    status = next(line for line in ticket_lines if line.field == "status")
    assert (status.old.text, status.new.text) == ("New", "Awaiting engineering")
    moved = next(line for line in defect_lines if line.field == "status")
    assert (moved.verb, moved.old.text, moved.new.text) == ("moved", "New", "Triage")
    assert moved.channel == "the web" and moved.who == engineer.username


def test_history_reads_its_lines_in_one_query_without_the_actors_other_columns(ticket, agent, engineer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    defect = escalate(ticket, agent)
    move(defect, Defect.Status.TRIAGE, engineer)
    with CaptureQueriesContext(connection) as queries:
        lines = history_lines(defect, limit=50)
    assert {line.who for line in lines} == {agent.username, engineer.username}
    assert all(line.reason is not None and line.channel for line in lines)
    # The content type is cached once read; the entries and their actors' names come in one query.
    reads = [q["sql"] for q in queries.captured_queries if "handoff_auditentry" in q["sql"]]
    assert len(reads) == 1 and len(queries.captured_queries) <= 2
    assert '"auth_user"."username"' in reads[0] and '"auth_user"."password"' not in reads[0]
    assert '"handoff_auditentry"."object_repr"' not in reads[0]


def test_a_shipped_release_reads_as_labels_and_a_moment(release, manager, ticket, agent, engineer):
    from releases.services.ship import release_ship

    defect = escalate(ticket, agent)
    Defect.objects.filter(pk=defect.pk).update(fixed_in_release=release)
    walk(defect, Defect.Status.FIXED, engineer)
    release_ship(release=release, actor=manager, channel=Channel.WEB, reason="Tagged")
    release.refresh_from_db()
    lines = {line.field: line for line in history_lines(release, limit=50)}
    assert lines["status"].new.text == "Released" and lines["status"].verb == "shipped"
    assert lines["released at"].new.moment == release.released_at
    fix = next(line for line in history_lines(ticket, limit=50) if line.verb == "recorded the fix as released:")
    assert fix.field == "" and fix.new.text == release.fix_label  # its value names the release: said once


def test_the_ticket_page_history_shows_no_stored_codes(as_user, ticket, agent, engineer):
    walk(escalate(ticket, agent), Defect.Status.IN_PROGRESS, engineer)
    html = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    history = html.split("<h2>History</h2>", 1)[1].split("</section>", 1)[0]
    assert "<q>Awaiting engineering</q>" in history
    assert "awaiting_engineering" not in history and "in_progress" not in history


def test_a_refused_move_names_statuses_by_label(api, engineer, ticket, agent):
    defect = escalate(ticket, agent)
    answer = api(engineer).post(f"/api/defects/{defect.pk}/transition/", {"to": "in_verification"}, format="json")
    assert answer.status_code == 400
    message = answer.json()["to"][0]
    assert "from New to In verification; allowed: Triage, Needs information" in message
    assert "needs_info" not in message and "in_verification" not in message


def test_ages_read_as_django_writes_them_with_each_count_translated_once():
    from datetime import timedelta

    from django.utils.timesince import timesince

    now = MOMENT
    ages = age_strings()
    for delta in (timedelta(minutes=5), timedelta(hours=3), timedelta(days=2), timedelta(days=40), timedelta(days=800)):
        assert timesince(now - delta, now, time_strings=ages, depth=1) == timesince(now - delta, now, depth=1)
    assert list(ages["day"].done) == [2]  # "2 days" translated once, then reused


ZONES = [dt_timezone.utc, ZoneInfo("Europe/Paris"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Kolkata")]


MOMENTS = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.sampled_from(ZONES)
)


@settings(max_examples=400, deadline=None)
@given(moment=MOMENTS, now=MOMENTS)
def test_an_age_reads_as_timesince_writes_its_largest_unit(moment, now):
    assert age(moment, now, age_strings()) == timesince(moment, now, depth=1)


def test_an_age_at_the_edges_of_months_and_leap_days():
    utc = dt_timezone.utc
    for before, after in [
        (datetime(2024, 1, 31, 12, tzinfo=utc), datetime(2024, 2, 29, 12, tzinfo=utc)),
        (datetime(2024, 2, 29, 9, tzinfo=utc), datetime(2025, 2, 28, 9, tzinfo=utc)),
        (datetime(2024, 2, 29, 9, tzinfo=utc), datetime(2025, 3, 1, 9, tzinfo=utc)),
        (datetime(2026, 3, 10, 8, 0, 30, tzinfo=utc), datetime(2026, 4, 10, 8, 0, 29, tzinfo=utc)),
        (datetime(2026, 12, 6, 10, 0, 59, tzinfo=utc), datetime(2026, 12, 6, 10, 1, 58, tzinfo=utc)),
        (datetime(2026, 12, 6, 10, tzinfo=utc), datetime(2026, 12, 6, 9, tzinfo=utc)),
    ]:
        assert age(before, after, age_strings()) == timesince(before, after, depth=1)
