# The outbox's queues read by index: see sync/models.py, OutboxItem.Meta.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('defects', '0011_list_sort_indexes'),
        ('enhancements', '0006_request_demand'),
        ('sync', '0007_enhancement_requests'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outboxitem',
            name='outbox_defect_head',
        ),
        migrations.RemoveIndex(
            model_name='outboxitem',
            name='outbox_request_head',
        ),
        migrations.AddIndex(
            model_name='outboxitem',
            index=models.Index(condition=models.Q(('status__in', ('pending', 'claimed'))), fields=['defect', 'connection', 'id'], name='outbox_defect_queue'),
        ),
        migrations.AddIndex(
            model_name='outboxitem',
            index=models.Index(condition=models.Q(('status__in', ('pending', 'claimed'))), fields=['request', 'connection', 'id'], name='outbox_request_queue'),
        ),
        migrations.AddIndex(
            model_name='outboxitem',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['id'], name='outbox_pending_order'),
        ),
    ]
