from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def target_from_line(apps, schema_editor):
    """Tasks created before a line could have several accounts deliver to the line's one."""
    FulfillmentTask = apps.get_model("fulfillment", "FulfillmentTask")
    OrderLine = apps.get_model("orders", "OrderLine")
    FulfillmentTask.objects.using(schema_editor.connection.alias).filter(
        order_line__isnull=False
    ).update(target=Subquery(OrderLine.objects.filter(pk=OuterRef("order_line_id")).values("target")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0004_task_interrupted_marker"),
        ("orders", "0006_orderline_targets"),
    ]

    operations = [
        migrations.AddField(
            model_name="fulfillmenttask",
            name="target",
            field=models.CharField(
                blank=True, help_text="The account this task delivers to.", max_length=300
            ),
        ),
        migrations.RunPython(target_from_line, migrations.RunPython.noop),
    ]
