from django.db import migrations, models


def targets_from_target(apps, schema_editor):
    """Lines placed before a line could have several accounts were delivered to one."""
    OrderLine = apps.get_model("orders", "OrderLine")
    db = schema_editor.connection.alias
    lines = []
    for line in OrderLine.objects.using(db).only("pk", "target").iterator(chunk_size=2000):
        line.targets = [line.target]
        lines.append(line)
    OrderLine.objects.using(db).bulk_update(lines, ["targets"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_order_notification_combined_and_demo"),
    ]

    operations = [
        migrations.AlterField(
            model_name="orderline",
            name="target",
            field=models.CharField(
                help_text="The accounts to grow, as the customer reads them.", max_length=300
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="targets",
            field=models.JSONField(
                blank=True, default=list, help_text="Every account the line is delivered to, in order."
            ),
        ),
        migrations.RunPython(targets_from_target, migrations.RunPython.noop),
    ]
