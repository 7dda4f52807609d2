from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"

    def ready(self) -> None:
        # Services queue these tasks by name (core.tasks.queue): register them now.
        import releases.tasks  # noqa: F401
