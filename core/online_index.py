"""An index migration that does not stop writers (docs/deploy.md, "Upgrades").

A plain CREATE INDEX on PostgreSQL blocks every insert and update of the table until it is
built, which on a table of a few hundred thousand rows stalls checkout and webhooks for
seconds while the old release is still serving. CREATE INDEX CONCURRENTLY builds it beside
them. Other databases (SQLite in development and tests) get the plain statement. A migration
using it sets `atomic = False`: PostgreSQL refuses CONCURRENTLY inside a transaction.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class AddIndexOnline(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )
