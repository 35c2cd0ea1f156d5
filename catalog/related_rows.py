"""Rows read with plain SQL and related to each other as the ORM relates them.

A product page that is not cached yet reads a product, its category, option groups,
options, add-ons and tiers: small lookups by key, where compiling the ORM's queries cost more
than running them. `rows_where` reads a model's rows by one column, `rows_with_parent` with
the row a foreign key points to, set as `select_related` sets it; `related_rows_attach`
stores a reverse foreign key's rows where `prefetch_related` would, so
`product.option_groups.all()` and the rest answer without a query, and any other use of the
manager (a filter) still queries as usual.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache

from django.db import connection
from django.db.models import Model

PARENT_PREFIX = "parent__"  # the joined parent's columns, as the row's statement names them


def related_rows_attach(
    parents: Sequence[Model], *, related_name: str, order_by: Sequence[str]
) -> list[Model]:
    """Load the `related_name` rows (a reverse foreign key) of `parents`, ordered by the
    `order_by` columns within each parent, attach them to each parent, and return them all."""
    if not parents:
        return []
    relation = parents[0]._meta.get_field(related_name)
    keys = [parent.pk for parent in parents]
    rows = rows_where(relation.related_model, relation.field.column, keys, order_by=order_by)
    by_parent: dict[object, list[Model]] = defaultdict(list)
    for row in rows:
        by_parent[getattr(row, relation.field.attname)].append(row)
    for parent in parents:
        _store(parent, related_name, relation.cache_name, by_parent.get(parent.pk, []))
    return rows


def rows_with_parent(
    model: type[Model], column: str, values: Sequence, *, field_name: str
) -> list[Model]:
    """`rows_where`, each row with the object its required `field_name` foreign key points to
    read in the same statement and set as `select_related` sets it. The parent's columns are
    taken as the database gives them, so a parent with a field the ORM converts is refused."""
    if not values:
        return []
    field, head, aliases = _joined_select(model, field_name, column)
    sql = f"{head} IN ({', '.join(['%s'] * len(values))}) ORDER BY t.{connection.ops.quote_name(column)}"
    rows = list(model._default_manager.raw(sql, list(values)))
    for row in rows:
        found = [row.__dict__.pop(alias) for alias in aliases.values()]
        field.set_cached_value(
            row, field.related_model.from_db(row._state.db, list(aliases), found)
        )
    return rows


@cache
def _joined_select(model: type[Model], field_name: str, column: str):
    """(the foreign key, the statement up to its WHERE column, attname → alias of the parent's
    columns), checked and written once per model, foreign key and column."""
    field = model._meta.get_field(field_name)
    parent = field.related_model
    columns = parent._meta.concrete_fields
    converted = [
        f.name
        for f in columns
        if f.get_db_converters(connection) or connection.ops.get_db_converters(f.cached_col)
    ]
    if field.null or converted:
        raise ValueError(f"{model.__name__}.{field_name}: not a required plain-typed parent")
    quote = connection.ops.quote_name
    aliases = {f.attname: f"{PARENT_PREFIX}{f.attname}" for f in columns}
    selected = ", ".join(f"p.{quote(f.column)} AS {quote(aliases[f.attname])}" for f in columns)
    head = (
        f"SELECT t.*, {selected} FROM {quote(model._meta.db_table)} t"
        f" JOIN {quote(parent._meta.db_table)} p"
        f" ON p.{quote(field.target_field.column)} = t.{quote(field.column)}"
        f" WHERE t.{quote(column)}"
    )
    return field, head, aliases


def rows_where(
    model: type[Model], column: str, values: Sequence, *, order_by: Iterable[str] = ()
) -> list[Model]:
    """The rows of `model` whose `column` is one of `values`, ordered by it and `order_by`."""
    if not values:
        return []
    quote = connection.ops.quote_name
    order = ", ".join(quote(name) for name in (column, *order_by))
    sql = (
        f"SELECT * FROM {quote(model._meta.db_table)} WHERE {quote(column)} IN "
        f"({', '.join(['%s'] * len(values))}) ORDER BY {order}"
    )
    return list(model._default_manager.raw(sql, list(values)))


def _store(parent: Model, related_name: str, cache_name: str, rows: list[Model]) -> None:
    queryset = getattr(parent, related_name).get_queryset()  # the parent's own filter
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if not hasattr(parent, "_prefetched_objects_cache"):
        parent._prefetched_objects_cache = {}
    parent._prefetched_objects_cache[cache_name] = queryset
