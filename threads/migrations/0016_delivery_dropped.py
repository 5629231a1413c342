"""Deliveries never sent on purpose get their own status, `dropped`, instead of "Dead (gave
up)". Rows written before are recognised by the reason threads.alerting.delivery.unsendable and
threads.clocks.rebuild recorded for them; deliveries that were tried and given up stay dead."""

from django.db import migrations, models
from django.db.models import Q

# The reasons a delivery was dropped, as they were written (last_error).
DROPPED = (
    Q(last_error__startswith="Dropped:")  # no longer true; taken back by a late event
    | Q(last_error="The alert channel was deleted.")
    | Q(last_error__startswith="Nothing sends ", last_error__endswith=" deliveries.")
    | Q(last_error__startswith="Channel “", last_error__contains="” is disabled: ")
)


def dropped_forward(apps, schema_editor):
    Delivery = apps.get_model("threads", "Delivery")
    Delivery.objects.filter(DROPPED, status="dead").update(status="dropped")


def dropped_backward(apps, schema_editor):
    Delivery = apps.get_model("threads", "Delivery")
    Delivery.objects.filter(status="dropped").update(status="dead")


class Migration(migrations.Migration):
    dependencies = [
        ("threads", "0015_running_clocks_by_metric_for_metrics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("retrying", "Retrying"),
                    ("dead", "Dead (gave up)"),
                    ("dropped", "Dropped (not sent on purpose)"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(dropped_forward, dropped_backward),
    ]
