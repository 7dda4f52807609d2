from django.apps import AppConfig


class EnhancementsConfig(AppConfig):
    name = "enhancements"
    verbose_name = "Enhancement requests"
