from django.db import migrations, models


class Migration(migrations.Migration):
    """Meta replaced the `impressions` insight with `views` (2025-04-21): the column keeps its
    figures under the new name, and new snapshots store `views`."""

    dependencies = [("fulfillment", "0005_task_target")]

    operations = [
        migrations.RenameField(
            model_name="analyticssnapshot", old_name="impressions", new_name="views"
        ),
        migrations.AlterField(
            model_name="analyticssnapshot",
            name="views",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Times the account's content was seen (Graph `views`).",
                null=True,
            ),
        ),
    ]
