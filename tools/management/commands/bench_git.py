"""`manage.py bench_git` (`make bench-git`): scanning speed of code traceability, in a throwaway database."""

from django.core.management.base import BaseCommand

from tools.bench.git_bench import run


class Command(BaseCommand):
    help = (
        "Build a 20,000-commit repository with git fast-import, scan it, scan 500 new commits, and "
        "compute first releases of 1,000 fixes across 60 tags; print the figures against their targets."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--commits", type=int, default=20_000)
        parser.add_argument("--new-commits", type=int, default=500)

    def handle(self, *args, **options):
        run(commits=options["commits"], new_commits=options["new_commits"], out=self.stdout.write)
