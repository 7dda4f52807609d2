from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from core.models import AuditEntry, Channel, Notification
from core.versions import version_sort_key
from defects.models import Comment, Defect, Team, TicketDefectLink
from defects.severity import Impact
from enhancements.models import EnhancementRequest, RequestDemand, TicketRequestLink
from enhancements.services.demand import request_refresh_demand
from releases.code.models import Build, CommitLink, FixRelease, Repository, Tag
from releases.models import Release
from tickets.models import Contact, Customer, Ticket
from tickets.services.tickets import ticket_create
from tools.scale.seed import seed_scale

pytestmark = pytest.mark.django_db

TICKETS, DEFECTS = 300, 60


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed_scale", tickets=TICKETS, defects=DEFECTS, stdout=out)
    return out.getvalue()


def test_seeding_creates_the_requested_tickets_and_defects_with_service_numbers(seeded):
    assert f"Seeded {TICKETS} tickets, {DEFECTS} defects" in seeded
    assert Ticket.objects.count() == TICKETS
    assert Defect.objects.count() == DEFECTS
    for pk, number in Ticket.objects.values_list("pk", "number"):
        assert number == f"HD-{1000 + pk}"
    for pk, key in Defect.objects.values_list("pk", "key"):
        assert key == f"DEF-{pk}"
    by_id = list(Ticket.objects.order_by("pk").values_list("created_at", flat=True))
    assert by_id == sorted(by_id), "numbers follow creation order"


def test_tickets_spread_over_customers_with_contacts_statuses_and_products(seeded):
    assert Customer.objects.count() >= 5
    assert Contact.objects.filter(customer__in=Customer.objects.all()).values("customer").distinct().count() == (
        Customer.objects.count()
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert Ticket.objects.values("product").distinct().count() >= 5
    assert not Ticket.objects.exclude(contact__isnull=True).exclude(contact__customer=F("customer")).exists()
    assert not Ticket.objects.exclude(component__isnull=True).exclude(component__product=F("product")).exists()


def test_defect_counters_match_the_linked_tickets_and_customers(seeded):
    counted = Defect.objects.annotate(
        customers=Count("ticket_links__ticket__customer", distinct=True),
        tickets=Count("ticket_links", distinct=True),
    )
    assert TicketDefectLink.objects.count() > DEFECTS / 2
    assert counted.filter(tickets__gte=2).exists(), "some defects are reported by several tickets"
    for defect in counted:
        assert (defect.customer_count, defect.ticket_count) == (defect.customers, defect.tickets)
        if defect.customers >= 2:
            assert defect.impact == Impact.MULTIPLE_CUSTOMERS


def test_links_join_tickets_to_defects_of_the_same_product_once_each(seeded):
    links = TicketDefectLink.objects.select_related("ticket", "defect")
    assert not links.exclude(ticket__product=F("defect__product")).exists()
    assert not links.values("ticket").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Defect.objects.filter(status=Defect.Status.DUPLICATE, ticket_links__isnull=False).exists()


def test_releases_are_planned_and_released_with_version_keys_and_fixes(seeded):
    releases = list(Release.objects.all())
    assert {r.status for r in releases} == {Release.Status.PLANNED, Release.Status.RELEASED}
    for release in releases:
        assert release.version_key == version_sort_key(release.version)
    released_defects = Defect.objects.filter(status=Defect.Status.RELEASED)
    assert released_defects.exists()
    assert not released_defects.exclude(fixed_in_release__status=Release.Status.RELEASED).exists()
    assert not Defect.objects.filter(status=Defect.Status.FIXED, fixed_in_release__isnull=True).exists()


def test_every_seeded_ticket_and_defect_has_a_created_audit_entry(seeded):
    created = AuditEntry.objects.filter(action="created")
    assert created.filter(content_type=ContentType.objects.get_for_model(Ticket)).count() == TICKETS
    assert created.filter(content_type=ContentType.objects.get_for_model(Defect)).count() == DEFECTS
    assert AuditEntry.objects.filter(action="linked").count() == TicketDefectLink.objects.count()


def test_seeding_twice_is_refused_clearly(seeded):
    with pytest.raises(CommandError, match="already seeded"):
        call_command("seed_scale", tickets=10, defects=2, stdout=StringIO())
    assert Ticket.objects.count() == TICKETS


def test_tickets_created_after_seeding_get_fresh_numbers(seeded, agent):
    ticket = ticket_create(
        actor=agent, channel=Channel.WEB, subject="After the seed",
        customer=Customer.objects.first(), product=Ticket.objects.first().product,
    )
    assert ticket.pk > Ticket.objects.exclude(pk=ticket.pk).order_by("-pk").first().pk
    assert ticket.number == f"HD-{1000 + ticket.pk}"


def test_tickets_and_defects_carry_comment_threads_from_their_own_side(seeded):
    comments = Comment.objects.all()
    assert comments.filter(ticket__isnull=False).exists() and comments.filter(defect__isnull=False).exists()
    assert not comments.filter(ticket__isnull=False).exclude(side=Comment.Side.HELPDESK).exists()
    assert not comments.filter(defect__isnull=False).exclude(side=Comment.Side.ENGINEERING).exists()


def test_requests_are_seeded_in_proportion_with_counts_and_demand_from_their_links(seeded):
    assert EnhancementRequest.objects.count() == TICKETS // 10
    assert TicketRequestLink.objects.count() == TICKETS * 3 // 10
    counted = EnhancementRequest.objects.annotate(
        tickets=Count("ticket_links", distinct=True), customers=Count("ticket_links__customer", distinct=True)
    )
    assert all(r.ticket_count == r.tickets and r.customer_count == r.customers for r in counted)
    assert not TicketRequestLink.objects.exclude(ticket__product=F("request__product")).exists()
    assert not TicketRequestLink.objects.exclude(customer=F("ticket__customer")).exists()


def test_seeded_demand_rows_and_counts_are_what_the_demand_service_writes(seeded):
    def kept():
        rows = list(RequestDemand.objects.order_by("request_id", "position").values_list(
            "request_id", "customer_id", "importance", "tickets", "score", "position"))
        requests = list(EnhancementRequest.objects.order_by("pk").values_list(
            "pk", "demand", "customer_count", "ticket_count", "importance_counts", "last_asked_at"))
        return rows, requests

    seeded_state = kept()
    assert seeded_state[0], "the seed writes demand rows"
    for request in EnhancementRequest.objects.all():
        request_refresh_demand(request=request)
    assert kept() == seeded_state


def test_code_is_seeded_with_fixing_commits_tags_and_first_releases_that_match_the_defects(seeded):
    fixed = Defect.objects.filter(status__in=[Defect.Status.FIXED, Defect.Status.RELEASED])
    assert CommitLink.objects.filter(kind=CommitLink.Kind.FIXES).count() == fixed.count()
    assert not CommitLink.objects.exclude(commit__repository__product=F("defect__product")).exists()
    assert all(link.commit.subject.endswith(f"(fixes {link.defect.key})")
               for link in CommitLink.objects.filter(kind="fixes").select_related("commit", "defect"))
    released = Release.objects.filter(status=Release.Status.RELEASED)
    assert Tag.objects.count() == released.count()
    # Every shipped defect's first release is the release it was fixed in, through that release's tag.
    shipped = Defect.objects.filter(status=Defect.Status.RELEASED)
    assert FixRelease.objects.count() == shipped.count()
    assert not FixRelease.objects.exclude(version=F("defect__fixed_in_release__version")).exists()
    assert Build.objects.exists() and not Build.objects.exclude(sha=F("commit__sha")).exists()
    for repository in Repository.objects.all():
        assert repository.commit_count == repository.commits.count()


def test_notifications_reach_the_agents_and_teams_as_the_services_word_them(seeded):
    assert "notifications" in seeded
    rows = Notification.objects.all()
    assert rows.count() > 0 and not rows.filter(subject="").exists()
    # A ticket's agent hears of its current defect, worded as tickets.services.follow words it.
    status = rows.filter(kind=Notification.Kind.DEFECT_STATUS).select_related("user").first()
    assert status is not None
    ticket = Ticket.objects.get(pk=int(status.url.strip("/").split("/")[-1]))
    assert status.user_id == ticket.assignee_id and status.subject == status.url
    assert f" for {ticket.number} moved to " in status.message
    current = ticket.current_link.defect
    assert status.message.startswith(f"{current.key} for ") and current.get_status_display() in status.message
    # A released fix is told as the services tell it: its release and the day it shipped.
    released = rows.filter(kind=Notification.Kind.RELEASED).first()
    assert released is not None and released.message.endswith(". Tell the customer.")
    fixed = Ticket.objects.get(pk=int(released.url.strip("/").split("/")[-1])).current_link.defect
    assert f": fixed in {fixed.fixed_in_release.version}, released " in released.message
    # A planned release is told as an estimate, as tickets_on_defect_edited tells it.
    planned = rows.filter(kind=Notification.Kind.PLANNED_RELEASE).first()
    ticket = Ticket.objects.get(pk=int(planned.url.strip("/").split("/")[-1]))
    defect = ticket.current_link.defect
    assert planned.message == (
        f"{defect.key} for {ticket.number}: planned for {defect.planned_release.version} (an estimate, not a promise)"
    )
    # A routed defect tells its team's members, as notify_routed does.
    routed = rows.filter(kind=Notification.Kind.ROUTED).first()
    defect = Defect.objects.get(pk=int(routed.url.strip("/").split("/")[-1]))
    assert routed.team_wide and routed.user in defect.team.members.all()
    assert routed.message == f"{defect.key} {defect.title} ({defect.severity}) was routed to {defect.team}"
    # Every one was emailed; the old are mostly read and some are not.
    assert not rows.filter(emailed_at__isnull=True).exists()
    assert rows.filter(read_at__isnull=True).exists() and rows.filter(read_at__isnull=False).exists()
    assert not rows.filter(read_at__lt=F("created_at")).exists()


def test_the_bench_engineer_works_in_the_busiest_team_and_hears_of_its_routed_defects():
    # As at a million tickets: thirty engineers, so that a team is a few of them, not everyone.
    seed_scale(tickets=TICKETS, defects=DEFECTS, engineers=30)
    engineer = User.objects.get(username="scale-engineer-001")
    busiest = Team.objects.annotate(n=Count("defects")).order_by("-n", "pk").first()
    assert busiest.members.filter(pk=engineer.pk).exists()
    # Every routed defect of the team tells them, bar those they filed themselves.
    told = Notification.objects.filter(user=engineer, kind=Notification.Kind.ROUTED, team_wide=True)
    expected = Defect.objects.filter(team=busiest).exclude(created_by=engineer).values_list("id", flat=True)
    assert expected and {f"/defects/{pk}/" for pk in expected} <= set(told.values_list("url", flat=True))
