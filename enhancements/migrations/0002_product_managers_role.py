from django.db import migrations

PRODUCT_MANAGERS = "Product managers"


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=PRODUCT_MANAGERS)


class Migration(migrations.Migration):
    dependencies = [("enhancements", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
