"""`manage.py seed_scale --tickets 200000 --defects 50000`: a large help desk for measuring speed."""

from django.core.management.base import BaseCommand, CommandError

from tools.scale.seed import AlreadySeeded, seed_scale


class Command(BaseCommand):
    help = (
        "Fill the database with years of help-desk work (customers, tickets, defects, links, "
        "releases, audit rows) using bulk inserts. Refuses to run twice on the same database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=200_000)
        parser.add_argument("--defects", type=int, default=50_000)
        parser.add_argument("--customers", type=int, default=None,
                            help="Default: one per hundred tickets, at most 2000.")
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for repeatable data.")

    def handle(self, *args, tickets: int, defects: int, customers: int | None, seed: int, **options):
        if tickets < 1 or defects < 0 or (customers is not None and customers < 1):
            raise CommandError("--tickets and --customers must be at least 1, --defects at least 0.")
        try:
            summary = seed_scale(
                tickets=tickets, defects=defects, customers=customers, random_seed=seed,
                log=lambda message: self.stdout.write(f"  {message}"),
            )
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {summary.tickets} tickets, {summary.defects} defects, {summary.links} links, "
            f"{summary.customers} customers, {summary.requests} requests with {summary.request_links} ticket links, "
            f"{summary.comments} comments, {summary.notifications} notifications and "
            f"{summary.audit_entries} audit entries "
            f"in {summary.seconds:.1f} s."
        ))
