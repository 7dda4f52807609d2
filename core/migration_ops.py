"""Migration operations shared by the apps' migrations."""

from django.db import migrations


def _on_postgres(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def run_sql_on_postgres(sql: str, reverse_sql: str) -> migrations.RunPython:
    """SQL for PostgreSQL alone (GIN, trigram, partial or generated objects): nothing elsewhere."""
    return migrations.RunPython(_on_postgres(sql), _on_postgres(reverse_sql))
