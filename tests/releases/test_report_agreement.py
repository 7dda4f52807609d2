"""The page, the CSV, the report API and the outreach read one report: they agree on whom to tell.

The case is built to split two ways of finding "the newest version a customer
runs": versions that sort one way as text and another as versions (2.9.1 and
2.10.0), a customer with several versions, two names for one version (2.10.0
and 2.10: the one added last counts), a customer with tickets on two products,
and a customer that reported no version at all.
"""

import csv
import io
import re

import pytest
from django.core import mail
from django.urls import reverse

from core.models import Channel
from releases.models import Release
from releases.services.outreach import release_queue_notices
from releases.services.report import release_report_page, release_upgrade_advice
from releases.services.ship import release_ship
from tests.querycount import get_query_count
from tickets.models import Contact, Customer, Product, ProductVersion

pytestmark = pytest.mark.django_db

NEWEST = {"Acme Corp": "2.10.0", "Globex": "2.9.1", "Hooli": "2.10", "Initech": None}


@pytest.fixture(params=["versions added oldest first", "versions added newest first"])
def shipped(request, product, manager, fixed_in, make_ticket, customer, other_customer, contact) -> Release:
    """2.10.1 shipped, fixing one defect that Acme, Globex, Hooli and Initech each reported."""
    names = ["2.9.1", "2.10.0"] if request.param.endswith("oldest first") else ["2.10.0", "2.9.1"]
    versions = {name: ProductVersion.objects.create(product=product, name=name) for name in names}
    same_as_2_10_0 = ProductVersion.objects.create(product=product, name="2.10")
    payroll = Product.objects.create(name="Payroll", code="pay")
    payroll_3 = ProductVersion.objects.create(product=payroll, name="3.0.0")
    initech = Customer.objects.create(name="Initech")
    hooli = Customer.objects.create(name="Hooli")
    Contact.objects.create(customer=other_customer, name="Gina Globex", email="gina@globex.test")
    Contact.objects.create(customer=initech, name="Ivan Initech", email="ivan@initech.test")
    Contact.objects.create(customer=hooli, name="Hank Hooli", email="hank@hooli.test")
    late = Release.objects.create(product=product, version="2.10.1")

    acme = make_ticket(customer=customer, contact=contact, version=versions["2.9.1"])
    make_ticket(customer=customer, version=versions["2.10.0"])  # not fixed here, but Acme runs 2.10.0
    globex = make_ticket(customer=other_customer, version=versions["2.9.1"])
    make_ticket(customer=other_customer, product=payroll, version=payroll_3)  # another product's version
    hooli_tickets = [make_ticket(customer=hooli, version=v) for v in (same_as_2_10_0, versions["2.10.0"])]
    no_version = make_ticket(customer=initech)
    fixed_in(late, ticket=acme, also=[globex, hooli_tickets[0], no_version])
    release_ship(release=late, actor=manager, channel=Channel.WEB)
    return late


def test_the_page_the_csv_the_api_and_the_outreach_agree_on_the_customers_and_their_newest_versions(
    shipped, client, api, manager, django_capture_on_commit_callbacks
):
    behind = {name: version for name, version in NEWEST.items() if version}
    client.force_login(manager)
    url = reverse("releases:report", args=[shipped.pk])

    html = client.get(url).content.decode()
    headings = re.findall(r'<h3>([^<]+?)(?: <span class="muted">· reported on ([^<]+)</span>)?</h3>', html)
    on_page = {name: version or None for name, version in headings}
    page = release_report_page(shipped)
    page_advice = {name: row.version for row in release_upgrade_advice(shipped) for name in row.customer_names}

    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    in_csv = {row[0] for row in rows[1:]}

    body = api(manager).get(f"/api/releases/{shipped.pk}/report/").json()
    in_api = {c["name"]: c["reported_version"] for c in body["customers"]}
    api_advice = {a["customer_name"]: a["runs_version"] for a in body["upgrades"]}

    with django_capture_on_commit_callbacks(execute=True):
        release_queue_notices(release=shipped, actor=manager, channel=Channel.WEB)
    customer_of = dict(Contact.objects.values_list("email", "customer__name"))
    told = {customer_of[message.to[0]] for message in mail.outbox}

    assert on_page == {e.customer.name: e.version for e in page.customers} == NEWEST
    assert in_api == NEWEST
    assert in_csv == told == set(NEWEST)
    assert page_advice == api_advice == behind


def test_the_report_api_costs_the_same_queries_for_2_or_20_customers(manager, release, many_fixed):
    url = f"/api/releases/{release.pk}/report/"
    many_fixed(release, 0, 2)
    small = get_query_count(manager, url)
    many_fixed(release, 2, 18)  # 20 customers, each on its own version: 20 rows of advice
    assert get_query_count(manager, url) == small
