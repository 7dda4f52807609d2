"""Fill the database with a help desk's years of work, fast: the engine behind `seed_scale`."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry, Notification
from defects.models import Comment, Defect, Team, TicketDefectLink
from enhancements.models import EnhancementRequest, RequestDemand, TicketRequestLink
from enhancements.services.demand import demand_rows_rebuild
from releases.code.models import Build, Commit, CommitLink, FixRelease, Tag
from tickets.models import Contact, Customer, Ticket
from tools.scale.bulk import analyze, foreign_key_checks_skipped, indexes_built_after, reserve_ids, write_rows
from tools.scale.catalog import already_seeded, build_catalog
from tools.scale.seed_code import commit_counts, generate_code
from tools.scale.seed_defects import affected_version_rows, busiest_team, generate_defects
from tools.scale.seed_history import audit_rows, comment_rows
from tools.scale.seed_notifications import notification_rows
from tools.scale.seed_portal import seed_portal
from tools.scale.seed_requests import generate_requests
from tools.scale.seed_tickets import generate_tickets

SPAN = timedelta(days=3 * 365)


class AlreadySeeded(Exception):
    """The database already holds a seeded help desk; seeding twice would only blur the figures."""


@dataclass
class SeedSummary:
    customers: int
    tickets: int
    defects: int
    links: int
    audit_entries: int
    comments: int
    seconds: float
    requests: int = 0
    request_links: int = 0
    commits: int = 0
    builds: int = 0
    notifications: int = 0


def seed_scale(
    *, tickets: int, defects: int, customers: int | None = None, engineers: int | None = None,
    random_seed: int = 7,
    log: Callable[[str], None] = lambda message: None,
) -> SeedSummary:
    """Seed `tickets` tickets and `defects` defects, all or nothing.

    Raises AlreadySeeded when an earlier run's users are present.
    """
    if already_seeded():
        raise AlreadySeeded(
            f"This database is already seeded ({Ticket.objects.count()} tickets, "
            f"{Defect.objects.count()} defects). Seed a fresh database instead."
        )
    began = time.monotonic()
    rng = random.Random(random_seed)
    now = timezone.now()
    customers = customers or min(2000, max(5, tickets // 100))
    engineers = engineers or max(3, min(30, defects // 1500))
    with transaction.atomic():
        catalog = build_catalog(
            rng, customers=customers, agents=max(3, min(40, tickets // 5000)),
            engineers=engineers, now=now, span=SPAN,
        )
        log(f"catalog: {len(catalog.customer_ids)} customers, {len(catalog.products)} products")
        seeded_defects = generate_defects(rng, catalog, reserve_ids(Defect, defects), now=now, span=SPAN)
        # The first engineer (the bench's) works in the busiest team, as a busy engineer does:
        # their queue, dashboard and notifications are then a full team's, seeded with the rest.
        if (busiest := busiest_team(seeded_defects)) is not None:
            Team.objects.get(pk=busiest).members.add(catalog.engineers[0])
        seeded = generate_tickets(rng, catalog, seeded_defects, reserve_ids(Ticket, tickets), now=now, span=SPAN)
        log(
            f"generated {len(seeded.tickets)} tickets, {len(seeded_defects)} defects, "
            f"{len(seeded.links)} links ({time.monotonic() - began:.0f} s)"
        )
        # Enhancement requests: one per ten tickets (20,000 at 200,000), three links each on average;
        # generated before the tickets are written, as asking moves a ticket to "awaiting product".
        tier_of = dict(Customer.objects.values_list("id", "tier"))
        request_rows, request_links = generate_requests(
            rng, catalog, reserve_ids(EnhancementRequest, len(seeded.tickets) // 10), seeded.tickets,
            len(seeded.tickets) * 3 // 10, tier_of=tier_of,
        ) if seeded.tickets else ([], [])
        loaded = [
            Defect, Defect.affected_versions.through, Ticket, TicketDefectLink, AuditEntry, Comment,
            EnhancementRequest, TicketRequestLink, RequestDemand, Commit, CommitLink, Tag, FixRelease, Build,
            Notification,
        ]
        with foreign_key_checks_skipped(), indexes_built_after(loaded):
            write_rows(Defect, (d.row for d in seeded_defects))
            write_rows(Defect.affected_versions.through, affected_version_rows(rng, seeded_defects))
            write_rows(Ticket, seeded.tickets)
            write_rows(TicketDefectLink, seeded.links)
            log(f"wrote defects, tickets and links ({time.monotonic() - began:.0f} s)")
            audited = write_rows(
                AuditEntry, audit_rows(rng, catalog, seeded_defects, seeded.tickets, seeded.links)
            )
            log(f"wrote {audited} audit entries ({time.monotonic() - began:.0f} s)")
            comments = write_rows(Comment, comment_rows(rng, catalog, seeded_defects, seeded.tickets))
            log(f"wrote {comments} comments ({time.monotonic() - began:.0f} s)")
            notified = write_rows(
                Notification, notification_rows(rng, catalog, seeded_defects, seeded.tickets, seeded.links, now=now)
            )
            log(f"wrote {notified} notifications ({time.monotonic() - began:.0f} s)")
            write_rows(EnhancementRequest, request_rows)
            write_rows(TicketRequestLink, request_links)
            demand_rows_rebuild()
            log(f"wrote {len(request_rows)} requests, {len(request_links)} request links")
            code = generate_code(rng, catalog, seeded_defects, now=now)
            write_rows(Commit, code.commits)
            write_rows(CommitLink, code.links)
            write_rows(Tag, code.tags)
            write_rows(FixRelease, code.fix_releases)
            write_rows(Build, code.builds)
            commit_counts(code)
            log(
                f"wrote {len(code.commits)} commits, {len(code.tags)} tags, {len(code.builds)} builds "
                f"({time.monotonic() - began:.0f} s)"
            )
        log(f"built the indexes again ({time.monotonic() - began:.0f} s)")
        log(f"opened {seed_portal(rng, catalog)} customer portal accounts")
    analyze([
        Customer, Contact, User, Ticket, Defect, TicketDefectLink, AuditEntry, Comment, EnhancementRequest,
        TicketRequestLink, RequestDemand, Commit, CommitLink, Tag, FixRelease, Build, Notification,
    ])
    return SeedSummary(
        customers=len(catalog.customer_ids), tickets=len(seeded.tickets), defects=len(seeded_defects),
        links=len(seeded.links), audit_entries=audited, comments=comments, seconds=time.monotonic() - began,
        requests=len(request_rows), request_links=len(request_links),
        commits=len(code.commits), builds=len(code.builds), notifications=notified,
    )
