"""Objectives on the clocks: overrides, breach reasons, what a clock counts as and when, with
the thread's scope at that instant. Existing clocks are counted as the rules would have."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def count_existing(apps, schema_editor):
    clock = apps.get_model("threads", "SlaClock")
    thread = apps.get_model("threads", "Thread")
    clocks = clock.objects.all()
    clocks.filter(state__in=["pending", "imminent_breach"]).update(
        original_due_at=models.F("due_at")
    )
    clocks.filter(breached_at__isnull=False).update(missed_at=models.F("breached_at"))
    clocks.filter(missed_at__isnull=False).update(
        counted_as="missed", counted_at=models.F("missed_at")
    )
    for state in ("achieved", "cancelled"):
        clocks.filter(missed_at__isnull=True, state=state).update(
            counted_as=state, counted_at=models.F("stopped_at")
        )
    of_thread = thread.objects.filter(pk=OuterRef("thread_id"))
    clocks.exclude(counted_as="").update(
        scope_tier=Subquery(of_thread.values("tier_id")[:1]),
        scope_account=Subquery(of_thread.values("account_id")[:1]),
        scope_team=Subquery(of_thread.values("team_id")[:1]),
        scope_priority=Subquery(of_thread.values("priority")[:1]),
        scope_channel=Subquery(of_thread.values("channel")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_breach_reasons"),
        ("threads", "0010_saved_inbox_views"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CountChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "objective count change",
            },
        ),
        migrations.AddField(
            model_name="slaclock",
            name="breach_note",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="breach_reason",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="clocks",
                to="policies.breachreason",
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="breach_reason_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="breach_reason_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="breach_reason_confirmed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="counted_as",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="counted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="exempt",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="missed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="original_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="overridden_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="overridden_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="override_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="override_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="scope_account",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="scope_channel",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="scope_priority",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="scope_team",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="scope_tier",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("started", "Started"),
                    ("paused", "Paused"),
                    ("resumed", "Resumed"),
                    ("retargeted", "Retargeted"),
                    ("warning", "Warning"),
                    ("breaching", "Breaching"),
                    ("achieved", "Achieved"),
                    ("breached", "Breached"),
                    ("cancelled", "Cancelled"),
                    ("escalated", "Escalated"),
                    ("customer_wrote_while_paused", "Customer wrote while paused"),
                    ("policy_matched", "Policy matched"),
                    ("no_policy", "No policy matches"),
                    ("thread_changed", "Thread changed"),
                    ("no_reply_needed", "Marked no reply needed"),
                    ("overridden", "Due time moved"),
                    ("breach_reason", "Breach reason given"),
                    ("corrected", "Corrected by a late event"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=models.Q(
                    ("missed_at__isnull", True),
                    ("override_due_at__isnull", False),
                    ("paused", False),
                    ("state__in", ["pending", "imminent_breach"]),
                ),
                fields=["original_due_at"],
                name="clock_original_due",
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=models.Q(("counted_as", ""), _negated=True),
                fields=["counted_at"],
                name="clock_counted",
            ),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
