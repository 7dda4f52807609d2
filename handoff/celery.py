"""The Celery app, named `handoff` so `celery -A handoff worker -B` works.

With no CELERY_BROKER_URL the settings turn on eager mode: tasks run in-process,
so the embedded demo needs no broker and no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")

app = Celery("handoff")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
