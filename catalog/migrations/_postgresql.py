"""Operations for the search migrations that run on PostgreSQL only (SQLite's index is its
FTS5 table). The leading underscore keeps Django's migration loader from taking this module
for a migration."""

from django.db import migrations


def postgresql_only(forward: list[str], backward: list[str]) -> migrations.RunPython:
    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(forward), run(backward))
