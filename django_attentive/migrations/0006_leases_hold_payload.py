from django.db import migrations, models

TOKEN_NOTES = ("Attentive refused the API token", "ATTENTIVE['API_TOKEN']")


def forwards(apps, schema_editor):
    """State that lived in text moves to fields: holds, and events' payloads out of ``body``."""
    OutboundMessage = apps.get_model("django_attentive", "OutboundMessage")
    queued = OutboundMessage.objects.filter(status="queued")
    for note in TOKEN_NOTES:
        queued.filter(last_error__startswith=note).update(hold="token")
    queued.filter(last_error__startswith="Held for quiet hours").update(hold="quiet_hours")
    OutboundMessage.objects.exclude(kind="text").update(body="")


def backwards(apps, schema_editor):
    OutboundMessage = apps.get_model("django_attentive", "OutboundMessage")
    for message in OutboundMessage.objects.exclude(kind="text").only("pk", "payload"):
        event_type = str((message.payload or {}).get("type", ""))
        OutboundMessage.objects.filter(pk=message.pk).update(body=event_type)


class Migration(migrations.Migration):
    dependencies = [
        ("django_attentive", "0005_suppression_last_opted_out_at"),
    ]

    operations = [
        migrations.RenameField("outboundmessage", "claimed_at", "leased_at"),
        migrations.RenameField("outboundmessage", "claimed_by", "leased_by"),
        migrations.RenameField("outboundmessage", "event", "payload"),
        migrations.AddField(
            model_name="outboundmessage",
            name="hold",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "—"),
                    ("token", "API token refused or unusable"),
                    ("endpoint", "API endpoint not found (BASE_URL)"),
                    ("quiet_hours", "Quiet hours"),
                ],
                default="",
                help_text="Why a queued message waits though nothing is wrong with it.",
                max_length=16,
                verbose_name="held for",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="kind",
            field=models.CharField(
                choices=[("text", "Text"), ("custom_event", "Custom event")],
                default="text",
                help_text="Which Attentive endpoint it goes to: a text, or an event.",
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="leased_at",
            field=models.DateTimeField(
                blank=True, help_text="Start of the current lease.", null=True, verbose_name="leased at"
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="leased_by",
            field=models.CharField(
                blank=True,
                help_text="The worker holding the lease.",
                max_length=64,
                verbose_name="leased by",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="payload",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What a non-text kind sends, e.g. a custom event's type and properties.",
                verbose_name="payload",
            ),
        ),
        migrations.AlterField(
            model_name="sendattempt",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("sent", "Sent"),
                    ("rejected", "Rejected (final)"),
                    ("retry", "Failed, will retry"),
                    ("auth", "Token refused"),
                    ("endpoint", "Endpoint not found"),
                    ("ambiguous", "No answer (unconfirmed)"),
                    ("worker_lost", "Worker died mid-send"),
                ],
                max_length=16,
                verbose_name="outcome",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
