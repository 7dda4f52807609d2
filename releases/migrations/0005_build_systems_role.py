from django.db import migrations

BUILD_SYSTEMS = "Build systems"


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=BUILD_SYSTEMS)


class Migration(migrations.Migration):
    dependencies = [("releases", "0004_code_traceability"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
