"""Deliveries get a UUID (their webhook-id and Message-ID) and remember an interrupted send.

The UUID column is added empty, filled one value per row, then made unique: a plain AddField
with a callable default would give every existing row the same value."""

import uuid

from django.db import migrations, models


def fill_uids(apps, schema_editor):
    Delivery = apps.get_model("threads", "Delivery")
    rows = list(Delivery.objects.filter(uid__isnull=True).only("pk"))
    for row in rows:
        row.uid = uuid.uuid4()
    Delivery.objects.bulk_update(rows, ["uid"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("threads", "0007_delivery_kinds_from_registry"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="uid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.AddField(
            model_name="delivery",
            name="interrupted",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="deliveryattempt",
            name="may_be_repeat",
            field=models.BooleanField(default=False),
        ),
    ]
