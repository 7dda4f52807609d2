# The manager's dashboard counts open defects by team and severity: see defects/models.py.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('defects', '0011_list_sort_indexes'),
        ('releases', '0007_notice_kind'),
        ('tickets', '0010_assignee_updated_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='defect',
            index=models.Index(fields=['status', 'team', 'severity'], name='defect_status_team'),
        ),
    ]
