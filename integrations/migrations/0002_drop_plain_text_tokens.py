"""DRF tokens were kept in plain text (authtoken_token) and never expired. The app is gone;
drop its table on databases that have it, so no usable credential stays at rest."""

from django.db import migrations

TABLE = "authtoken_token"


def drop_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")
    recorder = connection.cursor()
    recorder.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(drop_tokens, migrations.RunPython.noop)]
