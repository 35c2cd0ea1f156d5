import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_bundles_from_cms"),
        ("checkout", "0006_duplicate_payments_and_refund_lookups"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartitem",
            name="bundle",
            field=models.ForeignKey(
                blank=True,
                help_text="Added as part of this bundle: its saving applies once the set is complete.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="catalog.bundle",
            ),
        ),
    ]
