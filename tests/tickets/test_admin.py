import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.audit import audit_history
from core.models import AuditEntry, Channel, Notification
from core.roles import grant_manager_admin_permissions
from defects.attachments import check_upload
from defects.models import Attachment, Comment, Defect, RoutingRule, TicketDefectLink
from releases.models import Release, ReleaseNotice
from tests.factories import escalate
from tickets.models import Customer, Ticket
from tickets.services.escalation import ticket_link_defect

pytestmark = pytest.mark.django_db

ADMIN_APPS = {"tickets", "defects", "releases", "handoff"}


@pytest.fixture
def staff_manager(manager):
    """The manager as the demo sets them up: staff, not superuser, with the group's permissions."""
    grant_manager_admin_permissions()
    manager.is_staff = True
    manager.save()
    return manager


@pytest.fixture
def manager_client(client, staff_manager):
    client.force_login(staff_manager)
    return client


def test_migrate_grants_the_managers_group_the_admin_permissions(client, manager):
    """No load_demo, no step by hand: the test database was migrated, and that is enough."""
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get(reverse("admin:tickets_customer_changelist")).status_code == 200
    assert client.get(reverse("admin:handoff_auditentry_changelist")).status_code == 200
    assert not manager.is_superuser


@pytest.fixture
def some_of_everything(make_ticket, agent, contact, component, version, release, routing_rule,
                       other_customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    defect = escalate(make_ticket(component=component, version=version), agent)
    ticket_link_defect(ticket=make_ticket(customer=other_customer), defect=defect, actor=agent,
                       channel=Channel.WEB)
    Attachment.objects.create(
        defect=defect, name="log.txt", content_type="text/plain", size=5,
        file=check_upload(SimpleUploadedFile("log.txt", b"hello")).upload,
    )
    Comment.objects.create(defect=defect, author=agent, body="Seen at Acme too", side="helpdesk")
    ReleaseNotice.objects.create(release=release, contact=contact, queued_by=agent)
    Notification.objects.create(user=agent, kind="comment", message="New comment")
    return defect


def admin_models():
    return [model for model in admin.site._registry if model._meta.app_label in ADMIN_APPS]


def test_every_model_of_the_portal_has_an_admin():
    registered = {model.__name__ for model in admin_models()}
    assert registered >= {
        "Customer", "Contact", "Product", "Component", "ProductVersion", "Team", "RoutingRule",
        "Ticket", "Defect", "TicketDefectLink", "Attachment", "Release", "AuditEntry",
        "Comment", "ReleaseNotice", "Notification",
    }


def test_a_manager_who_is_not_superuser_opens_every_changelist(manager_client, staff_manager,
                                                              some_of_everything):
    assert not staff_manager.is_superuser
    for model in admin_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = manager_client.get(url)
        assert response.status_code == 200, url


def test_a_manager_opens_the_ticket_and_defect_pages(manager_client, some_of_everything):
    ticket = Ticket.objects.first()
    assert manager_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).status_code == 200
    response = manager_client.get(reverse("admin:defects_defect_change", args=[some_of_everything.pk]))
    assert response.status_code == 200
    assert some_of_everything.key in response.content.decode()


def test_a_manager_adds_a_routing_rule_and_it_is_audited(manager_client, staff_manager, product,
                                                         component, other_team):
    response = manager_client.post(
        reverse("admin:defects_routingrule_add"),
        {"priority": "5", "kind": "defect", "product": product.pk, "component": component.pk,
         "keyword": "export", "team": other_team.pk, "active": "on"},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(keyword="export")
    assert (rule.priority, rule.team, rule.component) == (5, other_team, component)
    assert audit_history(rule).filter(action="created", actor=staff_manager, channel=Channel.WEB).exists()


def test_reordering_rules_in_the_list_writes_only_what_changed(manager_client, staff_manager,
                                                              routing_rule):
    response = manager_client.post(
        reverse("admin:defects_routingrule_changelist"),
        {
            "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1",
            "form-0-id": routing_rule.pk, "form-0-priority": "3", "form-0-active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    routing_rule.refresh_from_db()
    assert routing_rule.priority == 3
    rows = list(audit_history(routing_rule))
    assert [(r.field, r.old, r.new, r.actor) for r in rows] == [("priority", "10", "3", staff_manager)]


def test_a_manager_adds_a_customer_with_a_contact(manager_client):
    response = manager_client.post(
        reverse("admin:tickets_customer_add"),
        {
            "name": "Initech", "tier": "standard",
            "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0",
            "contacts-0-name": "Ivan Ito", "contacts-0-email": "ivan@initech.example",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="Initech")
    contact = customer.contacts.get()
    assert audit_history(contact).filter(action="created").exists()


def test_a_manager_plans_a_release_but_ships_it_in_the_portal(manager_client, product, release):
    response = manager_client.post(
        reverse("admin:releases_release_add"),
        {"product": product.pk, "version": "3.0.0", "status": "released",
         "released_at_0": "2024-01-01", "released_at_1": "10:00"},
    )
    assert response.status_code == 302
    planned = Release.objects.get(version="3.0.0")
    assert (planned.status, planned.released_at) == (Release.Status.PLANNED, None)


@pytest.mark.parametrize("version,message", [("2.4.0", "already has a release"),
                                             ("next one", "Use numbers")])
def test_a_release_version_is_checked_like_in_the_portal(manager_client, product, release,
                                                         version, message):
    response = manager_client.post(reverse("admin:releases_release_add"),
                                   {"product": product.pk, "version": version})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Release.objects.count() == 1


def test_the_audit_trail_cannot_be_added_changed_or_deleted(manager_client, ticket):
    entry = AuditEntry.objects.first()
    assert manager_client.get(reverse("admin:handoff_auditentry_add")).status_code == 403
    page = manager_client.get(reverse("admin:handoff_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert manager_client.post(reverse("admin:handoff_auditentry_delete", args=[entry.pk]),
                               {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_tickets_and_defects_are_not_created_in_the_admin(manager_client):
    assert manager_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    assert manager_client.get(reverse("admin:defects_defect_add")).status_code == 403


def test_removing_a_link_recounts_the_defect(manager_client, some_of_everything):
    defect = some_of_everything
    link = TicketDefectLink.objects.filter(defect=defect).order_by("-pk").first()
    response = manager_client.post(
        reverse("admin:defects_ticketdefectlink_delete", args=[link.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    defect.refresh_from_db()
    assert (defect.customer_count, defect.ticket_count) == (1, 1)
    assert audit_history(link.ticket).filter(action="unlinked", old=defect.key).exists()


@pytest.mark.parametrize("persona", ["agent", "engineer"])
def test_agents_and_engineers_are_sent_to_the_admin_login(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:defects_routingrule_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("changelist", ["admin:tickets_ticket_changelist",
                                        "admin:defects_defect_changelist"])
def test_admin_lists_cost_the_same_queries_for_5_or_30_rows(manager_client, make_ticket, agent,
                                                           changelist):
    def queries_for(rows: int) -> int:
        while Ticket.objects.count() < rows:
            escalate(make_ticket(), agent)
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(reverse(changelist)).status_code == 200
        return len(captured)

    assert queries_for(5) == queries_for(30)
    assert Defect.objects.count() == 30


def test_changing_a_team_in_the_admin_audits_its_members(manager_client, staff_manager, team,
                                                         engineer, other_agent):
    response = manager_client.post(
        reverse("admin:defects_team_change", args=[team.pk]),
        {"name": "Billing", "kind": "engineering", "members": [engineer.pk, other_agent.pk]},
    )
    assert response.status_code == 302
    rows = {r.field: (r.old, r.new) for r in audit_history(team)}
    assert rows == {
        "name": ("Billing engineering", "Billing"),
        "members": ("erin-engineer", "erin-engineer, oscar-agent"),
    }


def test_a_manager_opens_the_tracker_connections_the_sync_page_sends_them_to(manager_client):
    assert manager_client.get("/admin/sync/connection/").status_code == 200
    assert manager_client.get("/admin/sync/connection/add/").status_code == 200
    # The sync engine's records are for reading: no adding, no deleting twins by hand.
    assert manager_client.get("/admin/sync/externalissue/").status_code == 200
    assert manager_client.get("/admin/sync/externalissue/add/").status_code == 403


@pytest.mark.parametrize("url", [
    "/admin/tickets/ticket/", "/admin/defects/defect/", "/admin/defects/ticketdefectlink/",
    "/admin/defects/comment/", "/admin/handoff/auditentry/", "/admin/handoff/notification/",
    "/admin/enhancements/enhancementrequest/", "/admin/sync/outboxitem/", "/admin/sync/inboundevent/",
])
def test_the_lists_of_the_largest_tables_count_once_and_list_no_distinct_values(manager_client, url, ticket, agent):
    # A million tickets, three million audit rows: "x of y" counts the table a second time, a
    # date hierarchy or a list of a column's values reads all of it (DISTINCT).
    escalate(ticket, agent)
    with CaptureQueriesContext(connection) as captured:
        assert manager_client.get(url).status_code == 200
    sql = [q["sql"].upper() for q in captured.captured_queries]
    assert sum("COUNT(" in q for q in sql) <= 1, url
    assert not [q for q in sql if "DISTINCT" in q and "AUTH_" not in q], url


def test_records_list_newest_first_by_id_and_sort_by_no_column(manager_client, ticket, agent):
    escalate(ticket, agent)
    with CaptureQueriesContext(connection) as captured:
        page = manager_client.get("/admin/handoff/auditentry/").content.decode()
    rows = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "handoff_auditentry"."id"')]
    assert rows and 'ORDER BY "handoff_auditentry"."id" DESC' in rows[-1] and '"at" DESC' not in rows[-1]
    # No column heading offers to sort: each would sort millions of rows.
    assert 'class="sortable' not in page


def test_the_audit_trail_is_filtered_by_channel_without_reading_its_values(manager_client, ticket):
    AuditEntry.objects.all().delete()
    for channel in (Channel.WEB, Channel.API, Channel.tracker("Jira")):
        AuditEntry.objects.create(channel=channel, content_type_id=1, object_id=1, object_repr=f"from {channel}",
                                  action="changed")

    def shown(channel: str) -> set[str]:
        page = manager_client.get("/admin/handoff/auditentry/", {"channel": channel}).content.decode()
        return {c for c in (Channel.WEB, Channel.API, Channel.tracker("Jira")) if f"from {c}" in page}

    assert shown("web") == {Channel.WEB} and shown("tracker") == {Channel.tracker("Jira")}
    page = manager_client.get("/admin/handoff/auditentry/").content.decode()
    assert "?channel=tracker" in page and "?channel=api" in page


def test_the_ticket_admin_searches_as_the_ticket_list_does(manager_client, make_ticket, other_customer):
    numbered = make_ticket(subject="Printer jams")
    make_ticket(subject="Export fails")
    theirs = make_ticket(subject="Login loops", customer=other_customer)

    def found(term: str) -> set[int]:
        answer = manager_client.get("/admin/tickets/ticket/", {"q": term})
        return {t.pk for t in answer.context["cl"].result_list}

    assert found(numbered.number.lower()) == {numbered.pk}
    assert found("JAMS") == {numbered.pk}
    assert found(other_customer.name[:4].lower()) == {theirs.pk}
