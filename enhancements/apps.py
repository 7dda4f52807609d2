from django.apps import AppConfig


class EnhancementsConfig(AppConfig):
    name = "enhancements"
    verbose_name = "Enhancement requests"

    def ready(self) -> None:
        from enhancements.api.views import ticket_send_request
        from enhancements.services.demand import requests_on_customer_tier_changed
        from enhancements.services.tracker import request_apply_tracker_status, request_comment_from_tracker
        from sync import hooks as sync_hooks
        from tickets import hooks
        from tickets.api.views import ESCALATION_KINDS

        hooks.customer_tier_changed.connect(requests_on_customer_tier_changed)
        ESCALATION_KINDS["enhancement"] = ticket_send_request
        # What a tracker does to a request's twin comes back through these services.
        sync_hooks.request_apply_status.fill(request_apply_tracker_status)
        sync_hooks.request_comment_add.fill(request_comment_from_tracker)
