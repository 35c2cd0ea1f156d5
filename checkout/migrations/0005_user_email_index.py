"""Checkout finds a guest's account by e-mail, case-insensitively: index what it searches."""

from django.db import migrations

INDEX = "checkout_user_email_ci"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":  # Django's iexact: UPPER(email::text) = UPPER(%s)
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON auth_user (UPPER("email"::text))'
        )
    elif vendor == "sqlite":  # iexact is LIKE, which a NOCASE index serves
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON auth_user ("email" COLLATE NOCASE)'
        )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("checkout", "0004_webhook_queue"),
    ]

    operations = [migrations.RunPython(create, drop)]
