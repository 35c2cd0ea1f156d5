"""Many plain rows into one table, as cheaply as the database allows.

The processor writes several log rows per task run. Django's `bulk_create` builds a model
instance per row, and with psycopg a statement of more than 50 parameters is parsed anew on
every call; on PostgreSQL `COPY` avoids both, whatever the number of rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.db import connection

# Parameters per INSERT elsewhere: within every SQLite's limit of 999.
_PARAMETERS_PER_INSERT = 900


def rows_insert(model, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (tuples in `columns` order, database values) into `model`'s table.

    No model instances, signals or field defaults: the caller gives every column it needs, and
    the rows' foreign keys must already exist. Runs in the caller's transaction.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(name) for name in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({names}) FROM STDIN"
            started = time.monotonic()
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            if connection.queries_logged:  # query budgets count it like any statement
                connection.queries_log.append(
                    {
                        "sql": f"{sql} -- {len(rows)} rows",
                        "time": f"{time.monotonic() - started:.3f}",
                    }
                )
            return
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        per_insert = max(1, _PARAMETERS_PER_INSERT // len(columns))
        for start in range(0, len(rows), per_insert):
            chunk = rows[start : start + per_insert]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES " + ", ".join([marks] * len(chunk)),
                [value for row in chunk for value in row],
            )
