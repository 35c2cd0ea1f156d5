import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Task events audit every status change, not only staff actions: each says its source.
    Existing events were all staff actions; their note becomes the reason. The processor writes
    two per task run, so their task reference skips the per-row foreign-key check."""

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
            name="task",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="fulfillment.fulfillmenttask",
            ),
        ),
        migrations.AlterField(
            model_name="taskevent",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
