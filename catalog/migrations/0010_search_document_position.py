"""The document carries its product's position, so ranking breaks ties from the index alone
(ADR 0015).

The column is added in place: Django's SQLite schema editor would rebuild the table for it,
and the rebuild drops the triggers that keep the FTS5 index in step with the documents."""

from django.db import migrations, models

TABLE = "catalog_productsearchdocument"


def add_position(apps, schema_editor):
    kind = "integer unsigned" if schema_editor.connection.vendor == "sqlite" else "integer"
    schema_editor.execute(
        f'ALTER TABLE {TABLE} ADD COLUMN "position" {kind} NOT NULL DEFAULT 0 '
        'CHECK ("position" >= 0)'
    )
    schema_editor.execute(
        f'UPDATE {TABLE} SET "position" = '
        '(SELECT "position" FROM catalog_product WHERE id = product_id)'
    )


def drop_position(apps, schema_editor):
    schema_editor.execute(f'ALTER TABLE {TABLE} DROP COLUMN "position"')


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_search_documents_active_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_position, drop_position)],
            state_operations=[
                migrations.AddField(
                    model_name="productsearchdocument",
                    name="position",
                    field=models.PositiveIntegerField(
                        default=0,
                        help_text="The product's position: ranking's tie-break, read from the index.",
                    ),
                )
            ],
        )
    ]
