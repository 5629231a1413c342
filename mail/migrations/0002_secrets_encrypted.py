"""Secrets at rest: the columns hold Fernet tokens; what was stored in clear is encrypted."""

import slaops.secrets
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mailbox",
            name="imap_password",
            field=slaops.secrets.SecretCharField(
                blank=True, max_length=500, verbose_name="IMAP password"
            ),
        ),
        migrations.AlterField(
            model_name="mailbox",
            name="smtp_password",
            field=slaops.secrets.SecretCharField(
                blank=True, max_length=500, verbose_name="SMTP password"
            ),
        ),
        migrations.RunPython(
            slaops.secrets.encrypt_in_migration(
                "mail", "mailbox", "imap_password", "smtp_password"
            ),
            migrations.RunPython.noop,
        ),
    ]
