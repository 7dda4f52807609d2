from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_managers(sender, using="default", **kwargs) -> None:
    """After every migrate, the Managers group holds the admin permissions (new models included)."""
    from core.admin import grant_manager_admin_permissions

    grant_manager_admin_permissions(using=using)


class CoreConfig(AppConfig):
    """Cross-cutting pieces: audit trail, roles, Markdown, API plumbing."""

    name = "core"
    # The label the app had when it lived in the project package: its tables,
    # migrations and permissions keep their names.
    label = "handoff"
    verbose_name = "Handoff"

    def ready(self) -> None:
        # Connected after django.contrib.auth's own handler (auth comes first in
        # INSTALLED_APPS), so each app's permissions exist when this runs.
        post_migrate.connect(_grant_managers, dispatch_uid="core.grant_managers")
