from django.apps import AppConfig


class EnhancementsConfig(AppConfig):
    name = "enhancements"
    verbose_name = "Enhancement requests"

    def ready(self) -> None:
        from enhancements.services.demand import requests_on_customer_tier_changed
        from tickets import hooks

        hooks.customer_tier_changed.connect(requests_on_customer_tier_changed)
