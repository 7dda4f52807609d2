# The agent's dashboard reads an agent's tickets by last update: see tickets/models.py.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0009_list_sort_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['assignee', '-updated_at', '-id'], name='ticket_assignee_updated'),
        ),
    ]
