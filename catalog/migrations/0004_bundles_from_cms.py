import django.core.validators
import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models



def move_content_type(apps, schema_editor):
    """Snippet permissions, audit-log entries and references point at the content type:
    relabel it instead of starting a new one."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("bundle", "bundleitem"):
        if not ContentType.objects.using(db).filter(app_label="catalog", model=model).exists():
            ContentType.objects.using(db).filter(app_label="cms", model=model).update(
                app_label="catalog"
            )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("bundle", "bundleitem"):
        if not ContentType.objects.using(db).filter(app_label="cms", model=model).exists():
            ContentType.objects.using(db).filter(app_label="catalog", model=model).update(
                app_label="cms"
            )


def existing_bundles_keep_their_products(apps, schema_editor):
    """Bundles used to apply to lines of any billing mode; those with a service that cannot
    be bought one-off keep doing so rather than becoming impossible to add."""
    Bundle = apps.get_model("catalog", "Bundle")
    Bundle.objects.using(schema_editor.connection.alias).filter(
        items__product__billing_modes="subscription"
    ).update(billing="any")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_pricing_version"),
        ("cms", "0004_bundles_move_to_catalog"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0091_remove_revision_submitted_for_moderation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Bundle",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("headline", models.CharField(max_length=120)),
                        ("description", models.CharField(blank=True, max_length=300)),
                        (
                            "discount_percent",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(50),
                                ],
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                    ],
                    options={"db_table": "cms_bundle", "ordering": ["headline"]},
                    bases=(models.Model,),
                ),
                migrations.CreateModel(
                    name="BundleItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("sort_order", models.IntegerField(blank=True, editable=False, null=True)),
                        (
                            "bundle",
                            modelcluster.fields.ParentalKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="catalog.bundle",
                            ),
                        ),
                        (
                            "product",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="bundle_items",
                                to="catalog.product",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "cms_bundleitem",
                        "ordering": ["sort_order"],
                        "abstract": False,
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("bundle", "product"), name="bundle_product_once"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.AddField(
            model_name="bundle",
            name="billing",
            field=models.CharField(
                choices=[
                    ("one_off", "One-off purchases"),
                    ("subscription", "Monthly subscriptions"),
                    ("any", "Either billing mode"),
                ],
                default="one_off",
                help_text="The saving applies only to cart lines bought this way.",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="bundle",
            name="latest_revision",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="wagtailcore.revision",
                verbose_name="latest revision",
            ),
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
        migrations.RunPython(existing_bundles_keep_their_products, migrations.RunPython.noop),
    ]
