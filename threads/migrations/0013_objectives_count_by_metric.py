"""Objectives count today's clocks by metric first: the live count of every figure."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_breach_reasons"),
        ("threads", "0012_objective_alerts_in_the_outbox"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="slaclock",
            name="clock_counted",
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=models.Q(("counted_as", ""), _negated=True),
                fields=["metric", "counted_at"],
                name="clock_counted_metric",
            ),
        ),
    ]
