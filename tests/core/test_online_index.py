"""Index migrations on big tables do not stop writers: on PostgreSQL they build the index
CONCURRENTLY (outside a transaction), elsewhere a plain CREATE INDEX."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

# The indexes /metrics reads (docs/deploy.md, "Upgrades").
MIGRATIONS = [
    ("checkout", "0008_metrics_index"),
    ("billing", "0003_metrics_index"),
    ("orders", "0008_metrics_index"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("app", "migration"), MIGRATIONS)
def test_the_metrics_indexes_are_built_without_blocking_writes(app, migration):
    out = io.StringIO()
    call_command("sqlmigrate", app, migration, stdout=out)
    sql = out.getvalue()
    if connection.vendor == "postgresql":
        assert "CREATE INDEX CONCURRENTLY" in sql
        assert "BEGIN;" not in sql
    else:
        assert "CREATE INDEX" in sql
