from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

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
        # The products and the assignable users are kept in each process until they change
        # (tickets.selectors.product_choices, assignable_users); a sign-in changes neither.
        user = get_user_model()
        reference.watch(Product, Group, user.groups.through)
        reference.watch(user, ignore_fields=frozenset({"last_login"}))
