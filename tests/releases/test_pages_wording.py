"""What the release pages say: proper plurals, one "Released", the product's name, charts as tables."""

import re

import pytest
from django.urls import reverse

from core.models import Channel
from core.words import count_of
from releases.services.ship import release_ship

pytestmark = pytest.mark.django_db


def test_counts_read_as_english():
    assert [count_of(n, "defect") for n in (0, 1, 2)] == ["0 defects", "1 defect", "2 defects"]
    assert count_of(2, "person", "people") == "2 people"


def test_shipping_says_how_many_defects_in_proper_plurals(client, manager, release, fixed_in):
    fixed_in(release)
    client.force_login(manager)
    response = client.post(reverse("releases:ship", args=[release.pk]), {"confirm": "on"}, follow=True)
    html = response.content.decode()
    assert "Shipped Billing 2.4.0: 1 defect released, 0 planned defects slipped." in html
    assert "(s)" not in html


def test_the_report_says_released_once_with_the_day(client, manager, release, fixed_in):
    fixed_in(release)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    client.force_login(manager)
    html = client.get(reverse("releases:report", args=[release.pk])).content.decode()
    lead = html.split('<p class="lead">', 1)[1].split("</p>", 1)[0]
    assert len(re.findall(r"Released", lead)) == 1
    assert re.search(r'Released</span> <time datetime="[^"]+" title="[^"]+">\d+ \w{3} \d{4}</time>\.', lead)


def test_the_charts_come_with_their_figures_as_tables(client, manager, release, fixed_in):
    fixed_in(release)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    client.force_login(manager)
    html = client.get(reverse("releases:charts")).content.decode()
    assert html.count('<details class="chart-figures">') == 4
    figures = html.split('data-chart="fixed_per_release"', 1)[1].split("</details>", 1)[0]
    assert '<th scope="row">Billing 2.4.0</th><td class="num">1</td>' in figures


def test_the_managers_dashboard_counts_open_the_queue_filtered_to_them(as_user, manager, agent, make_ticket, team):
    from tests.factories import escalate

    defect = escalate(make_ticket(), agent)
    html = as_user(manager).get("/").content.decode()
    board = html.split('id="open-by-team"', 1)[1].split("</section>", 1)[0]
    assert (
        f'href="/defects/queue/?team={team.pk}&amp;status=open&amp;severity={defect.severity}"' in board
    )
    assert f'href="/defects/queue/?team={team.pk}&amp;status=open"' in board
    queue = as_user(manager).get(f"/defects/queue/?team={team.pk}&status=open&severity={defect.severity}")
    assert defect.key in queue.content.decode()


def test_the_queues_bulk_box_names_the_fields_of_each_action(as_user, engineer, agent, make_ticket):
    from tests.factories import escalate

    escalate(make_ticket(), agent)
    html = as_user(engineer).get("/defects/queue/").content.decode()
    assert 'data-action-fields="{&quot;assign_team&quot;: [&quot;team&quot;]' in html
    assert 'src="/static/js/bulk-actions.js"' in html
