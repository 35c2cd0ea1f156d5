"""/metrics counts webhook events by type and outcome from this index alone. Built without blocking writers
(core/online_index.py), so it can run while the previous release serves."""

from django.db import migrations, models

from core.online_index import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("checkout", "0007_cartitem_bundle")]

    operations = [
        AddIndexOnline(
            model_name="webhookevent",
            index=models.Index(fields=['type', 'outcome'], name="webhook_type_outcome"),
        ),
    ]
