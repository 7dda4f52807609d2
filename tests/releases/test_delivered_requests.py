"""Enhancement requests a release delivers: in the one report (page, CSV, API) and told to who asked, once."""

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Channel
from enhancements.services.requests import request_link_ticket
from enhancements.services.transitions import request_transition
from releases.models import ReleaseNotice
from releases.services.outreach import release_queue_notices
from releases.services.report import release_report
from releases.services.ship import release_ship
from tests.factories import request_from
from tickets.models import Contact, Customer, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(product_manager):
    def make(request, release):
        for to in ("under_review", "planned", "in_development"):
            request_transition(request=request, to=to, target_release=release, actor=product_manager, channel="web")
        return request_transition(request=request, to="delivered", release=release, actor=product_manager,
                                  channel="web")

    return make


@pytest.fixture
def delivered(release, manager, agent, make_ticket, contact, deliver, fixed_in):
    """Billing 2.4.0 ships a fix for Carol's ticket and the VAT export Carol's and Initech's tickets asked for."""
    fixed_in(release, ticket=make_ticket(contact=contact, subject="Export times out"))
    request = request_from(make_ticket(contact=contact, subject="VAT per line please"), agent,
                           title="VAT per line in the export")
    initech = Customer.objects.create(name="Initech")
    Contact.objects.create(customer=initech, name="Ivan Initech", email="ivan@initech.test")
    request_link_ticket(ticket=make_ticket(customer=initech, subject="Need VAT lines"), request=request,
                        importance="blocks_deal", actor=agent, channel=Channel.WEB)
    deliver(request, release)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    return request


def test_the_report_lists_delivered_requests_with_the_customers_who_asked(release, delivered):
    report = release_report(release)
    assert [(r.key, r.customer_names) for r in report.requests] == [(delivered.key, ["Acme Corp", "Initech"])]
    assert [c.contact.name for c in report.request_contacts] == ["Carol Customer", "Ivan Initech"]
    narrowed = release_report(release, customer=Customer.objects.get(name="Initech"))
    assert [c.contact.name for c in narrowed.request_contacts] == ["Ivan Initech"]


def test_page_csv_and_api_show_the_delivered_requests(client, api, manager, agent, release, delivered):
    client.force_login(manager)
    url = f"/releases/{release.pk}/report/"
    page = client.get(url).content.decode()
    assert 'id="delivered-requests"' in page and delivered.key in page and "Initech" in page
    rows = list(csv.DictReader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    assert {row["Customer"] for row in rows if row["Defect"] == delivered.key} == {"Acme Corp", "Initech"}
    body = api(agent).get(f"/api/releases/{release.pk}/report/").json()
    assert [r["key"] for r in body["requests"]] == [delivered.key]
    assert [c["email"] for c in body["request_contacts"]] == ["carol@acme.test", "ivan@initech.test"]


def test_notify_tells_who_asked_once_each_beside_the_fix_notice(
    release, manager, delivered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release_queue_notices(release=release, actor=manager, channel=Channel.WEB)
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    fixed = Ticket.objects.get(subject="Export times out").number
    assert subjects == [
        ("carol@acme.test", f"Fixed in Billing 2.4.0: {fixed} Export times out"),
        ("carol@acme.test", "Now in Billing 2.4.0: VAT per line in the export"),
        ("ivan@initech.test", "Now in Billing 2.4.0: VAT per line in the export"),
    ]
    ivan = next(m for m in mail.outbox if m.to == ["ivan@initech.test"])
    assert "the feature you asked for is in Billing 2.4.0" in ivan.body and delivered.key in ivan.body
    assert set(ReleaseNotice.objects.values_list("kind", "status")) == {("fix", "sent"), ("request", "sent")}

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        release_queue_notices(release=release, actor=manager, channel=Channel.WEB)
    assert mail.outbox == []
    assert release_report(release).request_contacts[0].notified_at is not None


def test_delivered_requests_add_a_constant_number_of_queries(
    client, manager, agent, release, make_ticket, deliver
):
    client.force_login(manager)
    url = f"/releases/{release.pk}/report/"

    def add(n):
        for i in range(n):
            customer = Customer.objects.create(name=f"Asker {Customer.objects.count()}")
            Contact.objects.create(customer=customer, name=f"Contact {customer.pk}", email=f"a{customer.pk}@x.test")
            deliver(request_from(make_ticket(customer=customer), agent, title=f"Wish {i}"), release)

    add(1)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(5)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert "Wish 4" in html
    assert len(large) == len(small)


def test_the_requests_are_kept_until_the_next_change_and_the_contacts_read_each_time(
    release, delivered, agent, make_ticket, version
):
    from enhancements.models import TicketRequestLink
    from tickets.services.tickets import ticket_set_status

    asked = Ticket.objects.get(subject="Need VAT lines")
    assert [t.status for t in release_report(release).requests[0].tickets if t.pk == asked.pk] == [asked.status]
    with CaptureQueriesContext(connection) as warm:
        release_report(release)
    assert not [q for q in warm.captured_queries if '"enhancements_ticketrequestlink"."request_id"' in q["sql"]]

    # A change through a service writes an audit row: the next report reads the requests again.
    ticket_set_status(ticket=asked, status="awaiting_customer", actor=agent, channel=Channel.WEB)
    report = release_report(release)
    assert [t.status for t in report.requests[0].tickets if t.pk == asked.pk] == ["awaiting_customer"]

    # So does a ticket linked without an audit row (the newest request link is part of the key).
    late = make_ticket(customer=asked.customer, subject="VAT too", version=version)
    TicketRequestLink.objects.create(ticket=late, request=delivered, customer=late.customer, importance="important")
    assert late in release_report(release).requests[0].tickets

    # The tickets are built from the kept values with their versions: no query per ticket.
    tickets = release_report(release).requests[0].tickets
    with CaptureQueriesContext(connection) as reading:
        shown = {t.number: (t.subject, t.version.name if t.version_id else None) for t in tickets}
    assert shown[late.number] == ("VAT too", version.name) and not reading.captured_queries

    # A contact's address is read each time: the email goes where the contact is now.
    Contact.objects.filter(name="Ivan Initech").update(email="ivan@initech.example")
    assert "ivan@initech.example" in [c.contact.email for c in release_report(release).request_contacts]


def test_a_customer_who_only_asked_for_a_delivered_request_is_offered_and_narrowed_to_alike(
    client, api, manager, release, delivered
):
    initech = Customer.objects.get(name="Initech")
    client.force_login(manager)
    url = f"/releases/{release.pk}/report/"

    page = client.get(url)
    narrowed = client.get(url, {"customer": initech.pk})
    exported = client.get(url, {"customer": initech.pk, "format": "csv"})
    answered = api(manager).get(f"/api/releases/{release.pk}/report/", {"customer": initech.pk}).json()

    assert f'<option value="{initech.pk}">Initech</option>' in page.content.decode()
    assert narrowed.status_code == 200 and not narrowed.context["form"].errors
    assert narrowed.context["customer_filter"] == initech
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert exported.status_code == 200 and "Ivan Initech" in exported.content.decode()
    assert "Carol Customer" not in exported.content.decode() and rows
    assert [r["key"] for r in answered["requests"]] == [delivered.key]


def test_the_csv_for_a_customer_the_release_does_not_concern_is_a_400_not_everyone(client, manager, release,
                                                                                    delivered):
    stranger = Customer.objects.create(name="Globex")
    client.force_login(manager)

    for asked in (stranger.pk, "abc"):
        exported = client.get(f"/releases/{release.pk}/report/", {"customer": asked, "format": "csv"})
        assert exported.status_code == 400 and "Carol" not in exported.content.decode()


def test_the_report_links_only_the_tickets_its_reader_may_open(client, manager, engineer, product_manager, release,
                                                              delivered):
    fixed_ticket = Ticket.objects.get(subject="Export times out")
    asking = Ticket.objects.get(subject="Need VAT lines")
    url = f"/releases/{release.pk}/report/"

    def linked(user) -> set[int]:
        client.force_login(user)
        html = client.get(url).content.decode()
        assert fixed_ticket.number in html and asking.number in html
        return {pk for pk in (fixed_ticket.pk, asking.pk) if f'href="/tickets/{pk}/"' in html}

    assert linked(manager) == {fixed_ticket.pk, asking.pk}
    assert linked(engineer) == {fixed_ticket.pk}  # escalated; the request's ticket never was
    assert linked(product_manager) == set()
    client.force_login(engineer)
    assert client.get(f"/tickets/{fixed_ticket.pk}/").status_code == 200
    assert client.get(f"/tickets/{asking.pk}/").status_code == 404
