"""The oldest pending, due order e-mail in one index step (/metrics, the e-mail queue). Built without blocking writers
(core/online_index.py), so it can run while the previous release serves."""

from django.db import migrations, models

from core.online_index import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("orders", "0007_order_selection")]

    operations = [
        AddIndexOnline(
            model_name="ordernotification",
            index=models.Index(fields=['status', 'next_attempt_at'], name="notification_due_idx"),
        ),
    ]
