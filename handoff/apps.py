from django.apps import AppConfig


class HandoffConfig(AppConfig):
    """Cross-cutting pieces: audit trail, roles, Markdown, API plumbing."""

    name = "handoff"
    verbose_name = "Handoff"
