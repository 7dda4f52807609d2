# Ticket search (tickets.selectors.filter_tickets) on PostgreSQL: a trigram GIN index
# on UPPER(subject), the expression Django's `icontains` compares, so a search reads
# the index instead of every ticket. PostgreSQL only: the model does not declare the
# index (SQLite has no GIN or pg_trgm, and would fail to rebuild the table with it).
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from core.migration_ops import run_sql_on_postgres

SUBJECT_TRIGRAM = (
    "CREATE INDEX IF NOT EXISTS ticket_subject_trgm ON tickets_ticket "
    "USING gin (UPPER(subject) gin_trgm_ops);"
)
DROP_SUBJECT_TRIGRAM = "DROP INDEX IF EXISTS ticket_subject_trgm;"


class PostgresTrigramExtension(TrigramExtension):
    """TrigramExtension, whose reverse also does nothing off PostgreSQL (Django's queries pg_extension)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0003_ticket_product_customer_version_index'),
    ]

    operations = [
        # CREATE EXTENSION pg_trgm first; nothing off PostgreSQL.
        PostgresTrigramExtension(),
        run_sql_on_postgres(SUBJECT_TRIGRAM, DROP_SUBJECT_TRIGRAM),
    ]
