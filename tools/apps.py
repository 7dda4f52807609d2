from django.apps import AppConfig


class ToolsConfig(AppConfig):
    """Tooling that serves no request: the load bench, scale seeding and the demo data."""

    name = "tools"
    verbose_name = "Tools"
