from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customer portal: contacts follow their tickets, reply, raise new ones, keep their installations."""

    name = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Services queue these tasks by name (core.tasks.queue): register them now.
        import portal.api.schema  # noqa: F401  (the OpenAPI description of the portal's authentication)
        import portal.tasks  # noqa: F401
        from defects import hooks as defect_hooks
        from enhancements import hooks as request_hooks
        from portal.services.notify import (
            portal_on_defect_edited,
            portal_on_defect_transitioned,
            portal_on_request_changed,
            portal_on_ticket_status_changed,
        )
        from tickets import hooks as ticket_hooks

        ticket_hooks.ticket_status_changed.connect(portal_on_ticket_status_changed)
        defect_hooks.defect_transitioned.connect(portal_on_defect_transitioned)
        defect_hooks.defect_edited.connect(portal_on_defect_edited)
        request_hooks.request_changed.connect(portal_on_request_changed)
