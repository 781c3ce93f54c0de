from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("django_attentive", "0007_endpoint_and_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="purged_at",
            field=models.DateTimeField(
                blank=True,
                help_text=(
                    "When attentive_purge emptied the payload, number and detail; the row stays "
                    "so a replay of the same event is still recognised."
                ),
                null=True,
                verbose_name="contents purged at",
            ),
        ),
    ]
