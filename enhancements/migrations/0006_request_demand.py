import django.db.models.deletion
from django.db import migrations, models

from enhancements.services.demand import demand_rows_rebuild


def fill_demand_rows(apps, schema_editor):
    """Group the links that exist into demand rows, and count each request's customers per importance."""
    demand_rows_rebuild()
    EnhancementRequest = apps.get_model("enhancements", "EnhancementRequest")
    RequestDemand = apps.get_model("enhancements", "RequestDemand")
    counts: dict[int, dict[str, int]] = {}
    grouped = RequestDemand.objects.order_by().values_list("request_id", "importance").annotate(n=models.Count("id"))
    for request_id, importance, n in grouped:
        counts.setdefault(request_id, {})[importance] = n
    requests = list(EnhancementRequest.objects.filter(pk__in=counts).only("pk"))
    for request in requests:
        request.importance_counts = counts[request.pk]
    EnhancementRequest.objects.bulk_update(requests, ["importance_counts"], batch_size=2000)
    if schema_editor.connection.vendor == "postgresql":
        # The queue reads the new table at once; without statistics its planner guesses wrong.
        schema_editor.execute(f"ANALYZE {RequestDemand._meta.db_table}")


class Migration(migrations.Migration):

    dependencies = [
        ('enhancements', '0005_status_changed_index'),
        ('tickets', '0009_list_sort_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='enhancementrequest',
            name='importance_counts',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name='RequestDemand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('importance', models.CharField(choices=[('blocks_deal', 'Blocks a purchase or renewal'), ('important', 'Important'), ('nice_to_have', 'Nice to have')], max_length=12)),
                ('tickets', models.PositiveIntegerField()),
                ('score', models.PositiveIntegerField(help_text='Highest importance x tier weight.')),
                ('position', models.PositiveIntegerField()),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.customer')),
                ('request', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='demand_rows', to='enhancements.enhancementrequest')),
            ],
            options={
                'ordering': ['request', 'position'],
                'indexes': [models.Index(fields=['request', 'position'], name='request_demand_rank')],
                'constraints': [models.UniqueConstraint(fields=('request', 'customer'), name='request_demand_unique_pair')],
            },
        ),
        migrations.RunPython(fill_demand_rows, migrations.RunPython.noop),
    ]
