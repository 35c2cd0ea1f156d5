"""/metrics sums invoice totals by currency from this index alone. Built without blocking writers
(core/online_index.py), so it can run while the previous release serves."""

from django.db import migrations, models

from core.online_index import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("billing", "0002_initial")]

    operations = [
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(fields=['currency', 'total_amount'], name="invoice_currency_total"),
        ),
    ]
