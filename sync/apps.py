from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Keeps defects in step with their twins in external trackers."""

    name = "sync"
    label = "sync"
    verbose_name = "Tracker sync"

    def ready(self) -> None:
        # Services queue these tasks by name (core.tasks.queue): register them now.
        import sync.tasks  # noqa: F401
        from defects import hooks
        from sync.outbox import outbox_on_comment_changed, outbox_on_defect_changed, outbox_on_defect_commented

        hooks.defect_changed.connect(outbox_on_defect_changed)
        hooks.defect_commented.connect(outbox_on_defect_commented)
        hooks.defect_comment_changed.connect(outbox_on_comment_changed)
