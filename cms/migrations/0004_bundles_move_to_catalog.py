from django.db import migrations


class Migration(migrations.Migration):
    """Bundles are pricing data and now belong to catalog (catalog 0004 takes over the
    tables as they are); only Django's model state changes here."""

    dependencies = [
        ("cms", "0003_rendition_blocks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="BundleItem"),
                migrations.DeleteModel(name="Bundle"),
            ],
        ),
    ]
