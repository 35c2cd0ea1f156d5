from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_bundles_from_cms"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="one_account_per_unit",
            field=models.BooleanField(
                default=False,
                help_text="Each unit is delivered to its own account: a quantity of 3 asks the "
                "customer for three accounts and makes three deliveries.",
            ),
        ),
        migrations.AddField(
            model_name="addon",
            name="subscription_only",
            field=models.BooleanField(
                default=False,
                help_text="Offered only with monthly billing (a monthly call makes no sense once).",
            ),
        ),
    ]
