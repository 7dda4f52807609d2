from django.apps import AppConfig


class EnhancementsConfig(AppConfig):
    name = "enhancements"
    verbose_name = "Enhancement requests"

    def ready(self) -> None:
        from enhancements.api.views import ticket_send_request
        from enhancements.services.demand import requests_on_customer_tier_changed
        from tickets import hooks
        from tickets.api.views import ESCALATION_KINDS

        hooks.customer_tier_changed.connect(requests_on_customer_tier_changed)
        ESCALATION_KINDS["enhancement"] = ticket_send_request
