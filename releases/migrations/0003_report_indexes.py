# The release report (releases.services.report) on PostgreSQL: the fixes of
# a release in the order the upgrade advice reads them, fixed or released only. The
# advice counts each release's fixes per severity and reads the most severe few from
# this index alone, instead of visiting every fixed defect's (wide) row. PostgreSQL
# only, like tickets 0004: the Defect model does not declare it (it belongs to this
# report, and SQLite would drop an undeclared index when it rebuilds the table).
from django.db import migrations

from core.migration_ops import run_sql_on_postgres

FIX_ORDER = (
    "CREATE INDEX IF NOT EXISTS defect_release_fix_order ON defects_defect "
    "(fixed_in_release_id, severity, key) WHERE status IN ('fixed', 'released');"
)
DROP_FIX_ORDER = "DROP INDEX IF EXISTS defect_release_fix_order;"


class Migration(migrations.Migration):

    dependencies = [
        ('releases', '0002_release_notice'),
        ('defects', '0005_perf_indexes'),
    ]

    operations = [
        run_sql_on_postgres(FIX_ORDER, DROP_FIX_ORDER),
    ]
