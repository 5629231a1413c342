"""Secrets at rest: the columns hold Fernet tokens; what was stored in clear is encrypted."""

import slaops.secrets
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("slackapp", "0002_unmapped_events_swept"),
    ]

    operations = [
        migrations.AlterField(
            model_name="slackapp",
            name="bot_token",
            field=slaops.secrets.SecretCharField(
                help_text="The Bot User OAuth Token (xoxb-…). Write-only once saved.",
                max_length=255,
            ),
        ),
        migrations.AlterField(
            model_name="slackapp",
            name="signing_secret",
            field=slaops.secrets.SecretCharField(
                help_text="Basic Information → App Credentials → Signing Secret. Write-only once saved.",
                max_length=255,
            ),
        ),
        migrations.RunPython(
            slaops.secrets.encrypt_in_migration(
                "slackapp", "slackapp", "bot_token", "signing_secret"
            ),
            migrations.RunPython.noop,
        ),
    ]
