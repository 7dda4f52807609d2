from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Keeps defects in step with their twins in external trackers."""

    name = "sync"
    label = "sync"
    verbose_name = "Tracker sync"
