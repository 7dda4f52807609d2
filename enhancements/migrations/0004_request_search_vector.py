from django.db import migrations

from core.migration_ops import run_sql_on_postgres

# Full-text search over requests (enhancements.selectors.similar_requests) on PostgreSQL,
# as defects have it (migration defects 0005): a stored, generated tsvector kept by the
# database itself, and a GIN index on it. The model does not declare the column: the ORM
# never writes it, and on SQLite, which has no full-text types, it does not exist.
SEARCH_VECTOR = """
ALTER TABLE enhancements_enhancementrequest ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, COALESCE(problem, '')), 'B')
) STORED;
CREATE INDEX request_search_vector ON enhancements_enhancementrequest USING gin (search_vector);
"""
DROP_SEARCH_VECTOR = "ALTER TABLE enhancements_enhancementrequest DROP COLUMN search_vector;"


class Migration(migrations.Migration):

    dependencies = [
        ("enhancements", "0003_conversion"),
    ]

    operations = [
        run_sql_on_postgres(SEARCH_VECTOR, DROP_SEARCH_VECTOR),
    ]
