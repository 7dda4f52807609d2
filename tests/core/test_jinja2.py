"""The Jinja2 fragments: found only by their own engine, and every value escaped as Django escapes it."""

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.template import TemplateDoesNotExist, engines

from core.forms import FieldGroupsMixin
from core.jinja2 import render_fragment

FRAGMENTS = Path(__file__).resolve().parents[2] / "templates" / "jinja2"
HOSTILE = "<script>alert('x')</script> & \"quoted\""
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;"


def fragment_names() -> list[str]:
    return sorted(str(path.relative_to(FRAGMENTS)) for path in FRAGMENTS.rglob("*.html"))


def test_each_fragment_is_a_jinja2_template_that_the_django_engine_never_finds():
    assert fragment_names()
    for name in fragment_names():
        engines["jinja2"].get_template(name)
        with pytest.raises(TemplateDoesNotExist):
            engines["django"].get_template(name)
    # No Django template includes or extends a fragment by its path under templates/.
    reaching = re.compile(r"""{%\s*(include|extends)\s+["']jinja2/""")
    django_templates = [p for p in FRAGMENTS.parent.rglob("*.html") if FRAGMENTS not in p.parents]
    assert django_templates
    assert not [p for p in django_templates if reaching.search(p.read_text())]


def test_the_jinja2_engine_escapes_by_default():
    assert engines["jinja2"].env.autoescape is True
    assert engines["jinja2"].from_string("{{ value }}").render({"value": HOSTILE}) != HOSTILE


def queue_row(**values) -> dict:
    row = {
        "id": 7, "key": "DEF-7", "title": "Crash", "product_name": "Billing", "component_name": "", "team_name": None,
        "severity": "S2", "customer_count": 1, "ticket_count": 1, "status": "new", "status_label": "New",
        "planned_version": None, "created": "1 Jan 2026 10:00", "age": "3 days", "url": "/defects/7/",
        "twins": [], "first_tickets": [("/tickets/1/", "HD-1")], "more_tickets": 0,
    }
    return {**row, **values}


def test_the_queue_rows_escape_every_value_and_keep_only_plain_links_to_trackers():
    html = render_fragment("defects/queue_rows.html", {"rows": [queue_row(
        key=HOSTILE, title=HOSTILE, product_name=HOSTILE, component_name=HOSTILE, team_name=HOSTILE,
        planned_version=HOSTILE, first_tickets=[("/tickets/1/", HOSTILE)],
        twins=[("javascript:alert(1)", HOSTILE), ("https://jira.example/browse/X-1", "X-1")],
    )]})
    assert "<script>" not in html and "javascript:" not in html
    assert f'<tr id="row-{ESCAPED}">' in html
    assert f"<td>{ESCAPED}<br><span class=\"muted\">{ESCAPED} / {ESCAPED} · {ESCAPED}</span></td>" in html
    assert f'<br><span class="muted">{ESCAPED}</span>' in html
    assert '<br><a class="muted" href="https://jira.example/browse/X-1" rel="noopener noreferrer">X-1</a>' in html
    assert f'{ESCAPED} <span class="muted">(estimate)</span>' in html


def test_a_queue_row_is_written_as_before():
    html = render_fragment("defects/queue_rows.html", {"rows": [queue_row(ticket_count=5, more_tickets=4)]})
    assert html == (
        '<tr id="row-DEF-7"><td><input type="checkbox" name="defects" value="7" id="select-7" '
        'aria-label="Select DEF-7"></td><td class="nowrap"><a href="/defects/7/">DEF-7</a></td>'
        '<td>Crash<br><span class="muted">Billing · Unrouted</span></td><td><span class="badge sev-S2">S2</span></td>'
        '<td class="num">1</td><td class="num">5</td>'
        '<td class="status"><span class="badge eng-new">New</span></td><td class="nowrap planned"><span class="muted">'
        '—</span></td><td class="nowrap" title="1 Jan 2026 10:00">3 days</td><td class="tickets"><a href="/tickets/1/">'
        'HD-1</a> <a class="muted" href="/defects/7/">+4 more</a></td></tr>\n'
    )


def test_the_ticket_list_rows_escape_every_value():
    row = {
        "pk": 3, "number": HOSTILE, "subject": HOSTILE, "customer__name": HOSTILE, "product__name": HOSTILE,
        "status": "open", "url": "/tickets/3/", "status_label": HOSTILE,
        "defect": {"key": HOSTILE, "status": "new", "url": "/defects/9/", "label": HOSTILE},
        "request": {"id": 4, "key": HOSTILE, "status": "planned", "label": HOSTILE, "url": "/requests/4/"},
    }
    html = render_fragment("tickets/list_rows.html", {"rows": [row]})
    assert "<script>" not in html
    assert f'<td class="nowrap"><a href="/tickets/3/">{ESCAPED}</a></td>' in html
    assert f"<td>{ESCAPED}</td>" in html and f'<a href="/defects/9/">{ESCAPED}</a>' in html
    assert f'<a href="/requests/4/">{ESCAPED}</a>' in html
    assert f'<span class="badge enh-planned">{ESCAPED}</span>' in html
    assert html.startswith("    <tr>\n") and html.endswith("    </tr>\n")


def test_the_request_queue_rows_escape_every_value():
    enh = SimpleNamespace(pk=4, key=HOSTILE, title=HOSTILE, product=SimpleNamespace(name=HOSTILE), component=None,
                          help_desk_note=HOSTILE, demand=7, customer_count=1, ticket_count=2, last_asked_at=None)
    why = SimpleNamespace(customers=[SimpleNamespace(name=HOSTILE, tier=HOSTILE, importance=HOSTILE, tickets=2)],
                          more=3)
    html = render_fragment("enhancements/queue_rows.html", {
        "rows": [(enh, why)], "request_url": "/requests/{}/".format, "ago": str,
    })
    assert "<script>" not in html
    assert f'<a href="/requests/4/">{ESCAPED}</a> {ESCAPED}' in html
    assert "1 customer, 2 tickets" in html and "and 3 more customers" in html


def test_the_release_fixes_table_escapes_every_value():
    fix = SimpleNamespace(pk=1, key=HOSTILE, title=HOSTILE, severity="S1", status="released",
                          status_label=HOSTILE, linked_tickets=3, linked_customers=2)
    html = render_fragment("releases/report_defects.html", {"defects": [fix, fix], "defect_url": "/defects/{}/".format})
    assert "<script>" not in html
    assert html.count("<tr>") == 2 and html.count("\n") == 1
    assert f'<td class="nowrap"><a href="/defects/1/">{ESCAPED}</a></td><td>{ESCAPED}</td>' in html
    assert html.endswith(f'<span class="badge eng-released">{ESCAPED}</span></td><td class="num">3</td>'
                         '<td class="num">2</td></tr>')


def test_the_upgrade_advice_rows_escape_every_value():
    fix = SimpleNamespace(pk=7, key=HOSTILE, title=HOSTILE, severity="S1", take_label=HOSTILE)
    row = SimpleNamespace(customer_count=1, customer_names=[HOSTILE, HOSTILE], more_customers=2, version=HOSTILE,
                          upgrade=SimpleNamespace(label=HOSTILE), gain_count=1, by_severity=HOSTILE, more_gains=0,
                          gains=[fix])
    html = render_fragment("releases/advice_rows.html", {
        "upgrades": [row], "release_version": HOSTILE, "defect_url": "/defects/{}/".format,
    })
    assert "<script>" not in html
    assert f"<strong>1</strong> customer: {ESCAPED}, {ESCAPED} <span class=\"muted\">and 2 more</span>" in html
    assert f'<br><a href="/defects/7/">{ESCAPED}</a> {ESCAPED} <span class="muted">(S1, {ESCAPED})</span>' in html
    assert f"<strong>1</strong> fix ({ESCAPED}):" in html


class HostileForm(FieldGroupsMixin, forms.Form):
    name = forms.CharField(label=HOSTILE, required=False)
    who = forms.ChoiceField(label="Who", choices=[("a", HOSTILE)], widget=forms.RadioSelect, required=False)


def test_field_groups_escape_labels_values_and_choices():
    html = str(HostileForm(initial={"name": HOSTILE}).field_groups())
    assert "<script>" not in html
    assert f'<label for="id_name">{ESCAPED}:</label>' in html
    assert f'value="{ESCAPED}"' in html and f" {ESCAPED}</label>" in html


def test_the_report_customers_escape_every_value():

    ticket = SimpleNamespace(pk=3, number=HOSTILE, subject=HOSTILE, status="open")
    row = SimpleNamespace(ticket=ticket, status_label=HOSTILE, can_close=False, defect_keys=HOSTILE)
    told = SimpleNamespace(contact=SimpleNamespace(name=HOSTILE, email=HOSTILE, phone=HOSTILE), notice=None,
                           notified_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    failed = SimpleNamespace(contact=SimpleNamespace(name="B", email="b@example.test", phone=""), notified_at=None,
                             notice=SimpleNamespace(get_status_display=lambda: HOSTILE, error=HOSTILE))
    entry = SimpleNamespace(customer=SimpleNamespace(pk=9, name=HOSTILE), version=HOSTILE, tickets=[row],
                            contacts=[told, failed])
    nobody = SimpleNamespace(customer=SimpleNamespace(pk=10, name="Quiet"), version=None, tickets=[], contacts=[])
    html = render_fragment("releases/report_customers.html", {
        "customers": [entry, nobody], "ticket_url": "/tickets/{}/".format,
    })
    assert "<script>" not in html
    assert f'<h3>{ESCAPED} <span class="muted">· reported on {ESCAPED}</span></h3>' in html
    assert f'<li><a href="/tickets/3/">{ESCAPED}</a> {ESCAPED}' in html
    assert f"(already {ESCAPED.lower()})" in html and f"— {ESCAPED}</span></li>" in html
    assert f'{ESCAPED} &lt;<a href="mailto:{ESCAPED}">{ESCAPED}</a>&gt; · {ESCAPED}' in html
    assert "Notified <time" in html and f"{ESCAPED}: {ESCAPED}</span>" in html
    assert '<h3>Quiet</h3>' in html and '<li class="muted">No contact on file.</li>' in html


def test_the_report_requests_escape_every_value():
    request = SimpleNamespace(pk=5, key=HOSTILE, title=HOSTILE, customer_names=[HOSTILE, HOSTILE],
                              tickets=[SimpleNamespace(pk=1, number=HOSTILE), SimpleNamespace(pk=2, number="HD-2")])
    nobody = SimpleNamespace(pk=6, key="ENH-6", title="Quiet", customer_names=[], tickets=[])
    told = SimpleNamespace(contact=SimpleNamespace(name=HOSTILE), notified_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    waiting = SimpleNamespace(contact=SimpleNamespace(name="Ivan"), notified_at=None)
    html = render_fragment("releases/report_requests.html", {
        "requests": [request, nobody], "contacts": [told, waiting],
        "ticket_url": "/tickets/{}/".format, "request_url": "/requests/{}/".format,
    })
    assert "<script>" not in html
    assert f'To tell: {ESCAPED} (told <time datetime="2026-12-01' in html and "</time>), Ivan.</p>" in html
    assert f'<a href="/requests/5/">{ESCAPED}</a></td><td>{ESCAPED}</td>' in html
    assert f"<td>{ESCAPED}, {ESCAPED}</td>" in html
    assert f'<a href="/tickets/1/">{ESCAPED}</a>, <a href="/tickets/2/">HD-2</a>' in html
    assert "<td>—</td>" in html and "<td>—</td></tr>" in html


def test_the_agents_board_escapes_every_value():
    from tickets.dashboard import AgentBoard, BoardSection

    asked = {"id": 3, "number": HOSTILE, "subject": HOSTILE, "customer__name": HOSTILE,
             "defect": {"key": HOSTILE, "status": "fixed", "status_label": HOSTILE, "planned": None, "fixed": HOSTILE}}
    waiting = {"id": 4, "number": "HD-4", "subject": HOSTILE, "customer__name": "Acme",
               "request": {"id": 8, "key": HOSTILE, "status": "planned", "label": HOSTILE}}
    board = AgentBoard(fixed=BoardSection([asked]), awaiting_product=BoardSection([waiting]))
    from tickets.views.dashboard import _agent_sections

    html = _agent_sections(board)
    assert "<script>" not in html
    assert f'<li><a href="/tickets/3/">{ESCAPED}</a> {ESCAPED}' in html
    assert f'{ESCAPED} <span class="badge eng-fixed">{ESCAPED}</span>' in html and f"· fixed in {ESCAPED}" in html
    assert f'<a href="/requests/8/">{ESCAPED}</a> <span class="badge enh-planned">{ESCAPED}</span>' in html
    assert '<p class="muted">No questions from engineering.</p>' in html


def test_the_dashboards_notification_entries_escape_every_value():
    moment = datetime(2026, 12, 4, 19, 26, tzinfo=UTC)
    linked = SimpleNamespace(url=HOSTILE, message=HOSTILE, created_at=moment)
    plain = SimpleNamespace(url="", message=HOSTILE, created_at=moment)
    groups = [SimpleNamespace(latest=linked, count=3), SimpleNamespace(latest=plain, count=1)]

    html = render_fragment("core/notification_items.html", {"groups": groups})

    assert "<script>" not in html
    assert f'<li class="unread"><a href="{ESCAPED}">{ESCAPED}</a> <span class="badge">3 updates</span>' in html
    assert f'<li class="unread">{ESCAPED} <span class="muted"><time datetime="2026-12-04T19:26:00+00:00"' in html


def test_the_portal_installations_escape_every_value_and_name_twenty_tickets_a_line():
    from portal.views.pages import advice_entries

    ticket = SimpleNamespace(pk=3, number=HOSTILE, subject=HOSTILE)
    product = SimpleNamespace(name=HOSTILE)
    advised = SimpleNamespace(
        installation=SimpleNamespace(pk=5, product=product, version_id=2, version=SimpleNamespace(name=HOSTILE),
                                     environment=HOSTILE),
        upgrade=SimpleNamespace(label=HOSTILE),
        lines=[SimpleNamespace(take=SimpleNamespace(label=HOSTILE), tickets=[ticket] * 23)], held=[ticket] * 2,
    )
    unknown = SimpleNamespace(
        installation=SimpleNamespace(pk=6, product=SimpleNamespace(name="Billing"), version_id=None, version=None,
                                     environment="Test"),
        upgrade=None, lines=[], held=[],
    )
    html = advice_entries([advised, unknown])
    assert "<script>" not in html
    assert f"<h2>{ESCAPED} {ESCAPED} <span class=\"muted\">· {ESCAPED}</span></h2>" in html
    assert f"<strong>Upgrade to {ESCAPED} {ESCAPED}</strong>" in html
    line = html.split('<ul class="advice">')[1].split("</ul>")[0]
    assert line.count('<a href="/portal/tickets/3/">') == 20 and line.endswith(" and 3 more</li>\n    ")
    assert f'<a href="/portal/tickets/3/">{ESCAPED}</a> {ESCAPED}; ' in line
    assert (f'Already fixed in what you run: <a href="/portal/tickets/3/">{ESCAPED}</a>, '
            f'<a href="/portal/tickets/3/">{ESCAPED}</a>.</p>') in html
    assert '<a href="/portal/installations/5/">Change</a>' in html
    assert "<h2>Billing (version not known) <span class=\"muted\">· Test</span></h2>" in html
    assert "No upgrade needed for your tickets." in html
    assert "No installations yet" in advice_entries([])


def test_a_release_defect_table_escapes_every_value():
    from releases.views import _defect_table

    routed = SimpleNamespace(pk=4, key=HOSTILE, title=HOSTILE, severity="S1", status="fixed", team_id=2,
                             team=SimpleNamespace(name=HOSTILE), customer_count=3, ticket_count=5)
    unrouted = SimpleNamespace(pk=5, key="DEF-5", title="Quiet", severity="S3", status="new", team_id=None,
                               team=None, customer_count=0, ticket_count=1)
    html = _defect_table([routed, unrouted], empty=HOSTILE)
    assert "<script>" not in html
    assert f'<td class="nowrap"><a href="/defects/4/">{ESCAPED}</a></td>\n      <td>{ESCAPED}</td>' in html
    assert '<span class="badge eng-fixed">Fixed</span>' in html and f"<td>{ESCAPED}</td>" in html
    assert "<td>Unrouted</td>" in html and '<td class="num">3</td>\n      <td class="num">5</td>' in html
    assert _defect_table([], empty=HOSTILE).strip() == f'<p class="empty">{ESCAPED}</p>'


def test_the_notifications_page_entries_escape_every_value():
    moment = datetime(2026, 12, 4, 19, 26, tzinfo=UTC)
    actor = SimpleNamespace(get_username=lambda: HOSTILE)
    note = SimpleNamespace(pk=7, kind="comment", message=HOSTILE, url="/tickets/1/", created_at=moment, actor=actor)
    groups = [SimpleNamespace(latest=note, count=2, unread=1)]

    html = render_fragment("core/notification_rows.html", {
        "groups": groups, "kinds": {"comment": HOSTILE}, "read_url": "/notifications/{}/read/".format,
        "csrf_token": HOSTILE,
    })

    assert "<script>" not in html
    assert f"<strong>{ESCAPED}</strong>" in html and f'· {ESCAPED}</span>' in html
    assert f'<td data-label="From">{ESCAPED}</td>' in html
    assert f'name="csrfmiddlewaretoken" value="{ESCAPED}"' in html
