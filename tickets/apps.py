from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from core import reference
        from defects import hooks
        from tickets.models import Product
        from tickets.services.follow import (
            tickets_on_defect_edited,
            tickets_on_defect_transitioned,
            tickets_on_engineering_commented,
        )

        hooks.defect_transitioned.connect(tickets_on_defect_transitioned)
        hooks.defect_edited.connect(tickets_on_defect_edited)
        hooks.engineering_commented.connect(tickets_on_engineering_commented)
        # The products are kept in each process until one changes (tickets.selectors.product_choices);
        # the assignable users until a user or a role changes, which core/apps.py watches.
        reference.watch(Product)
