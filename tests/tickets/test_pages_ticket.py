import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from defects.models import Attachment, Defect
from tests.factories import PNG, add_twin, connect, escalate
from tickets.models import Component, Product, ProductVersion, Ticket

pytestmark = pytest.mark.django_db


def detail(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def test_the_ticket_page_shows_both_statuses_and_the_planned_release_as_an_estimate(
    client, agent, ticket, release
):
    defect = escalate(ticket, agent)
    release.planned_date = datetime.date(2027, 3, 1)
    release.save()
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.IN_PROGRESS, planned_release=release)
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert 'id="helpdesk-status"><span class="badge hd-awaiting_engineering">Awaiting engineering<' in html
    assert 'class="badge eng-in_progress">In progress</span>' in html
    assert "Planned: 2.4.0" in html and "(estimate, not a promise), around <time" in html
    assert ">1 Mar 2027</time>" in html
    assert "Not fixed yet" in html
    assert f">{defect.key}</a>" in html


def test_the_ticket_page_shows_the_release_that_ships_the_fix(client, agent, ticket, product):
    from django.utils import timezone

    from releases.models import Release

    shipped = Release.objects.create(
        product=product, version="2.3.2", status=Release.Status.RELEASED,
        released_at=timezone.make_aware(datetime.datetime(2027, 1, 15)),
    )
    defect = escalate(ticket, agent)
    Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.RELEASED, fixed_in_release=shipped)
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert 'id="fixed-in-release">2.3.2 <span class="muted">(released <time' in html
    assert ">15 Jan 2027</time>)" in html
    assert "Escalate to engineering</a>" in html  # the defect is closed, so it may go again


def test_a_ticket_never_escalated_says_so_and_offers_escalation(client, agent, ticket):
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert "Not escalated to engineering." in html
    assert f'href="{reverse("tickets:escalate", args=[ticket.pk])}"' in html


def test_the_description_is_rendered_as_sanitised_markdown(client, agent, make_ticket):
    ticket = make_ticket(description="**Totals** are wrong <script>alert(1)</script>")
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert "<strong>Totals</strong> are wrong" in html
    assert "<script>alert(1)</script>" not in html


def test_the_page_lists_defects_attachments_and_history(client, agent, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    own = Attachment.objects.create(
        ticket=ticket, file=ContentFile(b"log line\n", name="x"), name="server.log",
        content_type="text/plain", size=9, uploaded_by=agent,
    )
    defect = escalate(ticket, agent)
    on_defect = Attachment.objects.create(
        defect=defect, file=ContentFile(PNG, name="y"), name="shot.png",
        content_type="image/png", size=len(PNG), uploaded_by=agent,
    )
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert defect.title in html and "Billing engineering" in html
    assert f'href="{reverse("defects:attachment", args=[own.pk])}">server.log</a>' in html
    assert f'href="{reverse("defects:attachment", args=[on_defect.pk])}">shot.png</a>' in html
    assert f"on {defect.key}" in html
    # The history speaks in labels, never in stored codes.
    assert f"linked defect <q>{defect.key}</q>" in html
    assert "changed status from <q>New</q> to <q>Awaiting engineering</q>" in html
    assert "awaiting_engineering</q>" not in html


def test_an_engineer_may_open_an_escalated_ticket_but_not_the_others(client, agent, engineer, make_ticket):
    escalated = make_ticket()
    escalate(escalated, agent)
    quiet = make_ticket()
    client.force_login(engineer)

    assert client.get(detail(escalated)).status_code == 200
    assert client.get(detail(quiet)).status_code == 404
    assert "Escalate to engineering</a>" not in client.get(detail(escalated)).content.decode()


def test_an_unknown_ticket_is_not_found(client, agent):
    client.force_login(agent)
    assert client.get(reverse("tickets:detail", args=[999999])).status_code == 404


def test_an_outsider_gets_403_and_an_anonymous_visitor_is_sent_to_log_in(client, outsider, ticket):
    assert client.get(detail(ticket)).status_code == 302
    client.force_login(outsider)
    assert client.get(detail(ticket)).status_code == 403


def test_an_agent_creates_a_ticket_on_the_new_ticket_page(
    client, agent, customer, contact, product, component, version
):
    client.force_login(agent)

    response = client.post(
        reverse("tickets:create"),
        {
            "subject": "Credit notes do not add up",
            "customer": customer.pk,
            "contact": contact.pk,
            "product": product.pk,
            "component": component.pk,
            "version": version.pk,
            "environment": "Windows 11, Edge",
            "description": "The total is off by one cent.",
        },
    )

    ticket = Ticket.objects.get(subject="Credit notes do not add up")
    assert response.status_code == 302
    assert response.url == detail(ticket)
    assert (ticket.contact, ticket.component, ticket.version, ticket.created_by) == (contact, component, version, agent)
    assert f"Created {ticket.number}." in client.get(response.url).content.decode()


def test_a_version_of_another_product_is_refused_beside_the_version_field(client, agent, customer, product):
    crm = Product.objects.create(name="CRM", code="crm")
    foreign = ProductVersion.objects.create(product=crm, name="9.0")
    Component.objects.create(product=crm, name="Leads")
    client.force_login(agent)

    response = client.post(
        reverse("tickets:create"),
        {"subject": "Wrong version", "customer": customer.pk, "product": product.pk, "version": foreign.pk},
    )

    assert response.status_code == 400
    assert "9.0 is not a version of Billing." in response.context["form"].errors["version"]
    assert not Ticket.objects.exists()


def test_a_missing_subject_is_reported_beside_the_field(client, agent, customer, product):
    client.force_login(agent)

    response = client.post(reverse("tickets:create"), {"customer": customer.pk, "product": product.pk})

    assert response.status_code == 400
    assert response.context["form"].errors["subject"]
    assert not Ticket.objects.exists()


def test_an_engineer_may_not_create_tickets(client, engineer, customer, product):
    client.force_login(engineer)
    assert client.get(reverse("tickets:create")).status_code == 403
    response = client.post(reverse("tickets:create"), {"subject": "x", "customer": customer.pk, "product": product.pk})
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_the_ticket_page_costs_the_same_queries_for_one_defect_or_three(client, agent, ticket, settings, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MEDIA_ROOT = tmp_path

    def attach(**parent):
        Attachment.objects.create(
            file=ContentFile(b"log\n", name="x"), name="server.log", content_type="text/plain", size=4,
            uploaded_by=agent, **parent,
        )

    def defect_with_a_file():
        defect = escalate(ticket, agent)
        attach(defect=defect)
        Defect.objects.filter(pk=defect.pk).update(status=Defect.Status.RELEASED)
        return defect

    attach(ticket=ticket)
    defect_with_a_file()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as one:
        client.get(detail(ticket))
    defects = [defect_with_a_file(), defect_with_a_file()]
    with CaptureQueriesContext(connection) as three:
        html = client.get(detail(ticket)).content.decode()

    assert len(three.captured_queries) == len(one.captured_queries)
    assert html.count("server.log</a>") == 4
    assert all(f"on {defect.key}" in html for defect in defects)


def test_the_ticket_facts_are_read_with_the_ticket_as_plain_names(
    client, agent, make_ticket, contact, component, version
):
    """Customer, contact, product, component, version and assignee names come with the ticket's own row.

    Joined and read as plain names (tickets.selectors.fact_names): one query, no related model built.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket(contact=contact, component=component, version=version)
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(detail(ticket)).content.decode()

    for fact, value in [("Customer", "Acme Corp"), ("Contact", "Carol Customer"), ("Product", "Billing"),
                        ("Component", "Invoices"), ("Version", "2.3.1"), ("Assignee", agent.get_username())]:
        assert f"<dt>{fact}</dt><dd>{value}</dd>" in html
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "tickets_ticket"."id"')]
    assert len(reads) == 1 and " AS \"customer_name\"" in reads[0] and "SELECT U0" not in reads[0]
    # No query reads a related row of the six on its own (the name is all the page shows).
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "tickets_customer"."id"')]


def test_a_ticket_without_contact_component_version_or_assignee_says_so(client, agent, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None, component=None, version=None, contact=None)
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert "<dt>Contact</dt>" not in html
    assert "<dt>Component</dt><dd>—</dd>" in html and "<dt>Version</dt><dd>—</dd>" in html
    assert "<dt>Assignee</dt><dd>Nobody</dd>" in html


def test_each_defect_shows_its_twins_in_external_trackers_by_tracker_name(client, agent, ticket):
    defect = escalate(ticket, agent)
    for name, key in [("Redmine", "RM-9"), ("Jira", "OPS-1")]:
        connection = connect(
            name=name, kind=name.lower(), base_url=f"https://{name.lower()}.example", token="t", project="P"
        )
        add_twin(defect, connection, key=key, url=f"https://{name.lower()}.example/{key}")
    client.force_login(agent)

    html = client.get(detail(ticket)).content.decode()

    assert (
        f'>{defect.key}</a> <a class="twin" href="https://jira.example/OPS-1" rel="noopener">OPS-1</a>'
        ' <a class="twin" href="https://redmine.example/RM-9" rel="noopener">RM-9</a></td>'
    ) in html


def test_both_threads_show_author_side_and_the_other_place_without_reading_whole_rows(
    client, agent, engineer, ticket
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import Channel
    from defects.services.comments import comment_add

    defect = escalate(ticket, agent)
    comment_add(actor=engineer, channel=Channel.WEB, body="Which **browser**?", visibility="shared", defect=defect)
    comment_add(actor=agent, channel=Channel.WEB, body="Firefox 128", visibility="shared", ticket=ticket)

    for user, page, shows in [
        (agent, detail(ticket), f'· on <a href="{reverse("defects:detail", args=[defect.pk])}">{defect.key}</a>'),
        (engineer, reverse("defects:detail", args=[defect.pk]),
         f'· from <a href="{reverse("tickets:detail", args=[ticket.pk])}">{ticket.number}</a>'),
    ]:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(page).content.decode()
        thread = html[html.index('id="thread"'):]
        assert f"{engineer.get_username()} · Engineering ·" in thread
        assert f"{agent.get_username()} · Help desk ·" in thread
        assert "Which <strong>browser</strong>?" in thread and "Firefox 128" in thread
        assert shows in thread
        read = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "defects_comment"."id"'))
        assert '"description"' not in read and '"password"' not in read


def test_the_thread_costs_the_same_queries_for_two_comments_or_eight_edited_and_deleted(
    client, agent, engineer, ticket
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import Channel
    from defects.services.comments import comment_add, comment_delete, comment_edit

    defect = escalate(ticket, agent)

    def talk():
        on_defect = comment_add(actor=engineer, channel=Channel.WEB, body="Which browser?", visibility="shared",
                                defect=defect)
        on_ticket = comment_add(actor=agent, channel=Channel.WEB, body="Firefox", visibility="shared", ticket=ticket)
        return on_defect, on_ticket

    talk()
    for page, user in [(detail(ticket), agent), (reverse("defects:detail", args=[defect.pk]), engineer)]:
        client.force_login(user)
        with CaptureQueriesContext(connection) as few:
            client.get(page)
        for _ in range(3):
            asked, answered = talk()
            comment_edit(comment=answered, actor=agent, channel=Channel.WEB, body="Firefox 128")
            comment_delete(comment=asked, actor=engineer, channel=Channel.WEB)
        with CaptureQueriesContext(connection) as many:
            html = client.get(page).content.decode()

        assert len(many.captured_queries) == len(few.captured_queries), page
        assert "(edited)" in html and "Deleted in Handoff." in html


def test_the_ticket_page_reads_what_it_shows_of_its_defects_and_requests_and_not_their_long_texts(
    client, agent, ticket, team, release
):
    """The links' defects and the requests are read column by column (PAGE_LINK_FIELDS, PAGE_REQUEST_LINK_FIELDS).

    Everything the page shows of them comes in those reads: no field is fetched on its own
    afterwards, and the long texts no part of the page shows are never read.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enhancements.models import EnhancementRequest
    from tests.factories import request_from

    release.planned_date = datetime.date(2027, 3, 1)
    release.save()
    defect = escalate(ticket, agent, steps_to_reproduce="Open the invoice and wait")
    Defect.objects.filter(pk=defect.pk).update(
        status=Defect.Status.NEEDS_INFO, status_reason="Which browser?", severity_reason="Blocks month-end billing",
        team=team, planned_release=release,
    )
    enhancement = request_from(ticket, agent)
    EnhancementRequest.objects.filter(pk=enhancement.pk).update(
        status=EnhancementRequest.Status.PLANNED, target_release=release
    )
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(detail(ticket)).content.decode()

    for shown in [
        f">{defect.key}</a>", "PDF export times out on large invoices", "Engineering needs information: Which browser?",
        "Blocks month-end billing", f"<td>{team.name}</td>", "Planned: 2.4.0", ">1 Mar 2027</time>",
        f">{enhancement.key}</a> Planned for 2.4.0 (estimate, not a promise)",
    ]:
        assert shown in html
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for unread in ['"defects_defect"."steps_to_reproduce"', '"defects_defect"."description"',
                   '"enhancements_enhancementrequest"."problem"', '"enhancements_enhancementrequest"."workaround"']:
        assert unread not in sql
    # Each of the defect's and the request's tables is read once, with the links.
    assert sum('FROM "defects_ticketdefectlink"' in q["sql"] for q in queries.captured_queries) == 1
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "defects_defect"')]
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "enhancements_enhancementrequest"')]
