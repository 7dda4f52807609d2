"""A ticket's links newest first with their defect, for its current defect; no index repeats another's lead."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('defects', '0014_from_customer'),
        ('tickets', '0010_assignee_updated_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='ticketdefectlink',
            name='defect',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='ticket_links', to='defects.defect'),
        ),
        migrations.AlterField(
            model_name='ticketdefectlink',
            name='ticket',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='defect_links', to='tickets.ticket'),
        ),
        migrations.AddIndex(
            model_name='ticketdefectlink',
            index=models.Index(fields=['ticket', '-linked_at', '-id'], include=('defect',), name='link_ticket_recent'),
        ),
    ]
