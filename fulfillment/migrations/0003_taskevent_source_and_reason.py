import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Task events audit every status change, not only staff actions: each says its source.
    Existing events were all staff actions; their note becomes the reason."""

    dependencies = [
        ("fulfillment", "0002_processor_schedule"),
    ]

    operations = [
        migrations.RenameField(model_name="taskevent", old_name="note", new_name="reason"),
        migrations.AddField(
            model_name="taskevent",
            name="source",
            field=models.CharField(
                choices=[("processor", "Processor"), ("staff", "Staff"), ("system", "System")],
                default="staff",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="taskevent",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
