"""Comments and files a customer's contact sent stay marked as the customer's when the contact is deleted."""

from django.db import migrations, models


def mark(apps, schema_editor):
    Comment = apps.get_model("defects", "Comment")
    Attachment = apps.get_model("defects", "Attachment")
    Comment.objects.filter(author_contact__isnull=False).update(from_customer=True)
    Attachment.objects.filter(uploaded_by_contact__isnull=False).update(from_customer=True)


class Migration(migrations.Migration):

    dependencies = [
        ("defects", "0013_defect_planned_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="from_customer",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="comment",
            name="from_customer",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
