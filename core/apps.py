from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """Cross-cutting pieces: audit trail, roles, Markdown, API plumbing."""

    name = "core"
    # The label the app had when it lived in the project package: its tables,
    # migrations and permissions keep their names.
    label = "handoff"
    verbose_name = "Handoff"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.contrib.auth.signals import user_logged_in

        import core.checks  # noqa: F401  (registers the system checks)
        import core.digest_tasks  # noqa: F401
        from core import lookups, reference
        from core.models import SavedView
        from core.preferences import remember_time_zone
        from core.roles import grant_manager_admin_permissions

        lookups.register()
        # Saved views, the signed-in user and the assignable users are kept in each process until
        # they change (core.saved_views.saved_view_list, core.auth.RoleModelBackend,
        # tickets.selectors.assignable_users); a sign-in is no change.
        user = get_user_model()
        reference.watch(SavedView, Group, user.groups.through)
        reference.watch(user, ignore_fields=frozenset({"last_login"}))
        reference.read_generation_per_request()

        def grant_managers(sender, using="default", **kwargs) -> None:
            """After every migrate, the Managers group holds the admin permissions (new models included)."""
            grant_manager_admin_permissions(using=using)

        # Connected after django.contrib.auth's own handler (auth comes first in
        # INSTALLED_APPS), so each app's permissions exist when this runs. Held
        # strongly: nothing else keeps this local function alive.
        post_migrate.connect(grant_managers, weak=False, dispatch_uid="core.grant_managers")

        def time_zone_at_sign_in(sender, request, user, **kwargs) -> None:
            """Dates show in the user's own time zone from their first page on (core.middleware)."""
            if request is not None and hasattr(request, "session"):
                remember_time_zone(request.session, user)

        user_logged_in.connect(time_zone_at_sign_in, weak=False, dispatch_uid="core.time_zone_at_sign_in")
