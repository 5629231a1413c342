from django.db import migrations, models


def create_the_row(apps, schema_editor):
    apps.get_model("policies", "ConfigurationVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0003_alert_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfigurationVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
