"""Gapless yearly counters (order and invoice numbers)."""

from __future__ import annotations

from django.db import connection


def sequence_next(model, year: int) -> int:
    """Take the next number of `year` from a `(year, last_number)` model.

    One `UPDATE … RETURNING`: the row stays locked until the caller's transaction ends, so
    concurrent callers queue and a rolled-back caller leaves no gap. Call inside a transaction.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"UPDATE {table} SET last_number = last_number + 1 WHERE year = %s RETURNING last_number"
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
        if row is None:  # the year's first number
            model.objects.bulk_create([model(year=year)], ignore_conflicts=True)
            cursor.execute(sql, [year])
            row = cursor.fetchone()
    return row[0]
