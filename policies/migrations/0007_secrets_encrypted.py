"""Secrets at rest: the columns hold Fernet tokens; what was stored in clear is encrypted."""

import slaops.secrets
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0006_reply_ends_wait"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alertchannel",
            name="secret",
            field=slaops.secrets.SecretCharField(
                blank=True,
                help_text="Webhook signing secret (whsec_…); generated when left empty.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="alertchannel",
            name="url",
            field=slaops.secrets.SecretURLField(
                blank=True,
                help_text="Slack incoming-webhook URL, or your endpoint.",
                max_length=500,
            ),
        ),
        migrations.RunPython(
            slaops.secrets.encrypt_in_migration("policies", "alertchannel", "url", "secret"),
            migrations.RunPython.noop,
        ),
    ]
