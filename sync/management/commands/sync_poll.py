"""Poll trackers and push the outbox without a worker (the embedded default).

`manage.py sync_poll` runs one pass; `--loop` repeats every
HANDOFF_SYNC_POLL_SECONDS until interrupted. With a broker, Celery beat does this.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from sync.tasks import sync_poll, sync_relay


class Command(BaseCommand):
    help = "Pull tracker changes and push pending outbox rows (once, or --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Repeat every HANDOFF_SYNC_POLL_SECONDS.")

    def handle(self, *args, loop: bool = False, **options):
        while True:
            sync_relay()  # without a broker, the pushes it queues run right here
            seen = sync_poll()
            self.stdout.write(f"outbox relayed; saw {seen} changed issue(s)")
            if not loop:
                return
            time.sleep(settings.HANDOFF_SYNC_POLL_SECONDS)
