"""The report, its API and the outreach tell each customer the release of its own line that holds the fix."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Channel
from releases.models import Release
from releases.services.outreach import release_queue_notices
from releases.services.report import release_upgrade_advice
from releases.services.ship import release_ship
from tests.releases.code.conftest import build_lines
from tickets.models import Contact, Customer, ProductVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(upstream, repository, scan, product, manager, fixed_in, make_ticket, customer, other_customer, contact):
    """2.4.1 fixes one defect (marked by hand), picked with -x into 2.3.5; both shipped.

    Acme runs 2.3.4, Globex 2.4.0 and Initech 2.3.6 (after the backport).
    """
    backport = Release.objects.create(product=product, version="2.3.5")
    main = Release.objects.create(product=product, version="2.4.1")
    versions = {name: ProductVersion.objects.create(product=product, name=name) for name in ("2.3.4", "2.3.6", "2.4.0")}
    initech = Customer.objects.create(name="Initech")
    Contact.objects.create(customer=other_customer, name="Gina Globex", email="gina@globex.test")
    Contact.objects.create(customer=initech, name="Ivan Initech", email="ivan@initech.test")
    acme = make_ticket(customer=customer, contact=contact, version=versions["2.3.4"])
    globex = make_ticket(customer=other_customer, version=versions["2.4.0"])
    held = make_ticket(customer=initech, version=versions["2.3.6"])
    defect = fixed_in(main, ticket=acme, also=[globex, held])
    build_lines(upstream, defect.key)
    scan()
    for release in (backport, main):
        release_ship(release=release, actor=manager, channel=Channel.WEB)
    return main


def _advice_rows(html: str) -> dict[str, str]:
    """Run version -> the Take cell's text, from the advice table."""
    rows = re.findall(r'<td class="nowrap">([^<]+)</td>\s*(?:\{#.*?#\}\s*)?<td class="nowrap">(.*?)</td>', html, re.S)
    return {run: re.sub(r"<[^>]+>", "", take) for run, take in rows}


def test_the_advice_page_tells_a_customer_on_the_maintenance_line_to_take_the_backport(shipped, client, manager):
    client.force_login(manager)
    html = client.get(reverse("releases:advice", args=[shipped.pk]), headers={"HX-Request": "true"}).content.decode()

    assert _advice_rows(html) == {"2.3.4": "2.3.5 (backport)", "2.3.6": "has the fixes", "2.4.0": "2.4.1"}
    rows = {row.version: row for row in release_upgrade_advice(shipped)}
    assert [fix.take_label for fix in rows["2.3.4"].gains] == ["2.3.5 (backport)"]
    assert rows["2.3.6"].gains == [] and rows["2.3.6"].gain_count == 0
    assert [fix.take_label for fix in rows["2.4.0"].gains] == ["2.4.1"]


def test_the_report_api_gives_each_customer_the_release_of_its_own_line(shipped, api, agent):
    body = api(agent).get(f"/api/releases/{shipped.pk}/report/").json()

    advice = {a["customer_name"]: (a["upgrade_to"], a["upgrade_is_backport"]) for a in body["upgrades"]}
    assert advice == {"Acme Corp": ("2.3.5", True), "Globex": ("2.4.1", False), "Initech": (None, False)}
    acme = next(a for a in body["upgrades"] if a["customer_name"] == "Acme Corp")
    assert [(g["fixed_in"], g["take"], g["backport"]) for g in acme["gains"]] == [("2.4.1", "2.3.5", True)]
    customers = {c["name"]: c["upgrade_to"] for c in body["customers"]}
    assert customers == {"Acme Corp": "2.3.5", "Globex": "2.4.1", "Initech": None}


def test_the_outreach_email_names_the_backport_for_the_maintenance_line(
    shipped, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release_queue_notices(release=shipped, actor=manager, channel=Channel.WEB)

    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "upgrade to Billing 2.3.5 (the fix, brought to your maintenance line)." in bodies["carol@acme.test"]
    assert "2.4.1." not in bodies["carol@acme.test"].split("To get the fix")[1]
    assert "upgrade to Billing 2.4.1." in bodies["gina@globex.test"]
    assert "The version you run already contains the fix." in bodies["ivan@initech.test"]


def test_the_advice_costs_the_same_queries_with_code_for_one_or_three_fixes(
    shipped, client, manager, fixed_in, make_ticket, upstream, scan
):
    client.force_login(manager)
    url = reverse("releases:advice", args=[shipped.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url, headers={"HX-Request": "true"})
    for n in range(2):
        defect = fixed_in(shipped, title=f"Another fix {n}")
        upstream.commit(f"fixes {defect.key}", file=f"more{n}.txt")
    upstream.tag("v2.5.1")
    scan()
    assert len(release_upgrade_advice(shipped)[0].gains) == 3
    cache.clear()  # measured as worked out, not as kept (see the next test)
    with CaptureQueriesContext(connection) as three:
        client.get(url, headers={"HX-Request": "true"})
    assert len(three) == len(one)


def test_the_advice_is_kept_until_a_change_or_a_scan(shipped, fixed_in, upstream, scan, django_assert_max_num_queries):
    first = release_upgrade_advice(shipped)
    with django_assert_max_num_queries(2):  # the newest first release and the newest change: nothing worked out
        assert release_upgrade_advice(shipped)[0].gains == first[0].gains
    defect = fixed_in(shipped, title="A fix found by the next scan")
    upstream.commit(f"fixes {defect.key}", file="later.txt")
    upstream.tag("v2.5.1")
    scan()
    assert len(release_upgrade_advice(shipped)[0].gains) == len(first[0].gains) + 1
