"""Matching and ranking a plan with the database's own full-text index.

PostgreSQL: a weighted tsvector of the search document (title A, summary B, category C,
description D), stored in a GIN-indexed column, ranked by `ts_rank`. SQLite: an FTS5 table
kept by triggers in step with the document table, ranked by `bm25` with the same order of
weights. The documents hold stems and the queries are built from stems, so both databases
match the same products; only the scores differ in detail.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from ..models import Product
from .query import Plan

DOCUMENTS = "catalog_productsearchdocument"
FTS = "catalog_productsearch_fts"
# The expression migration 0006 indexed; since migration 0008 PostgreSQL stores it in the
# documents' `vector` column (GIN-indexed), read as is instead of rebuilt per product.
VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, summary), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, category), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'D'))"
)
TSQUERY = "to_tsquery('simple'::regconfig, %s)"
BM25_WEIGHTS = "8.0, 4.0, 2.0, 1.0"

POSTGRES_SCHEMA = [
    f"CREATE INDEX catalog_search_vector ON {DOCUMENTS} USING GIN ({VECTOR})",
]
SQLITE_SCHEMA = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(title, summary, category, body, "
    f"content='{DOCUMENTS}', content_rowid='product_id', tokenize='unicode61')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON {DOCUMENTS} BEGIN "
    f"INSERT INTO {FTS}(rowid, title, summary, category, body) "
    "VALUES (new.product_id, new.title, new.summary, new.category, new.body); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON {DOCUMENTS} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title, summary, category, body) "
    "VALUES ('delete', old.product_id, old.title, old.summary, old.category, old.body); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE ON {DOCUMENTS} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title, summary, category, body) "
    "VALUES ('delete', old.product_id, old.title, old.summary, old.category, old.body); "
    f"INSERT INTO {FTS}(rowid, title, summary, category, body) "
    "VALUES (new.product_id, new.title, new.summary, new.category, new.body); END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS catalog_search_vector"]


def _tsquery(plan: Plan) -> str:
    def alternative(stems: tuple[str, ...], last: bool) -> str:
        words = list(stems)
        if last and plan.prefix:
            words[-1] += ":*"
        return "(" + " <-> ".join(words) + ")"

    terms = [
        "(" + " | ".join(alternative(a, i == len(plan.terms) - 1) for a in term.alternatives) + ")"
        for i, term in enumerate(plan.terms)
    ]
    return " & ".join(terms)


def _fts5_query(plan: Plan) -> str:
    def alternative(stems: tuple[str, ...], last: bool) -> str:
        # Stems hold only letters and digits, so quoting makes each a plain phrase.
        return '"' + " ".join(stems) + '"' + ("*" if last and plan.prefix else "")

    terms = [
        "(" + " OR ".join(alternative(a, i == len(plan.terms) - 1) for a in term.alternatives) + ")"
        for i, term in enumerate(plan.terms)
    ]
    return " AND ".join(terms)


def _matches(plan: Plan) -> RawSQL:
    if connection.vendor == "postgresql":
        return RawSQL(
            f"SELECT product_id FROM {DOCUMENTS} WHERE vector @@ {TSQUERY}", [_tsquery(plan)]
        )
    return RawSQL(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [_fts5_query(plan)])


def search_filter(products: QuerySet, plan: Plan) -> QuerySet:
    """`products` narrowed to the plan's matches (for listings in another order than the
    best match: `search_ranked` orders by relevance)."""
    return products.filter(pk__in=_matches(plan))


def search_ranked(plan: Plan, *, category_id: int | None, offset: int, limit: int) -> list:
    """Up to `limit` active products (of the category, if given) matching the plan from
    `offset`, best first (the title holds the query's words in order, then the title alone
    matches, then the rank, then the catalog's position), each with
    `search_place` (from 1) and `search_total` (how many match). An offset past the end
    gives the last `limit`-aligned page instead. One query (two past the end); related
    objects are not loaded.

    The index holds active products only (`catalog.search.index`), so without a category
    the match is ranked and counted from the index alone; the products' rows are read for
    the tie-break and, for the page's rows only, their columns."""
    rows = list(Product.objects.raw(*_ranked_sql(plan, category_id, offset=offset, limit=limit)))
    if not rows and offset > 0:
        with connection.cursor() as cursor:
            cursor.execute(*_matching_sql(plan, category_id, "COUNT(*)"))
            (total,) = cursor.fetchone()
        if not total:
            return []
        offset = (total - 1) // limit * limit
        rows = list(
            Product.objects.raw(*_ranked_sql(plan, category_id, offset=offset, limit=limit))
        )
    for place, row in enumerate(rows, offset + 1):
        row.search_place = place
    return rows


def _in_category(category_id: int | None) -> tuple[str, list]:
    return ("", []) if category_id is None else (" AND c.category_id = %s", [category_id])


def _matching_sql(plan: Plan, category_id: int | None, select: str) -> tuple[str, list]:
    """`SELECT {select}` over the matching products: from the index alone without a
    category."""
    where, params = _in_category(category_id)
    if connection.vendor == "postgresql":
        source = f"{DOCUMENTS} d"
        if category_id is not None:
            source += " JOIN catalog_product c ON c.id = d.product_id"
        return (
            f"SELECT {select} FROM {source} WHERE d.vector @@ {TSQUERY}{where}",
            [_tsquery(plan), *params],
        )
    source = FTS if category_id is None else f"{FTS} JOIN catalog_product c ON c.id = {FTS}.rowid"
    return f"SELECT {select} FROM {source} WHERE {FTS} MATCH %s{where}", [
        _fts5_query(plan),
        *params,
    ]


def _ranked_sql(
    plan: Plan, category_id: int | None, *, offset: int, limit: int
) -> tuple[str, list]:
    where, where_params = _in_category(category_id)
    count_sql, count_params = _matching_sql(plan, category_id, "COUNT(*)")
    if connection.vendor == "postgresql":
        tsquery = _tsquery(plan)
        keys = (
            "strpos(' ' || d.title || ' ', %s) > 0 AS phrase_hit, "
            # The title's lexemes are the vector's weight A.
            f"ts_filter(d.vector, '{{a}}') @@ {TSQUERY} AS title_hit, "
            f"ts_rank(d.vector, {TSQUERY}) AS score"
        )
        keys_params = [f" {plan.phrase} ", tsquery, tsquery]
        source = (
            f"FROM {DOCUMENTS} d JOIN catalog_product c ON c.id = d.product_id "
            f"WHERE d.vector @@ {TSQUERY}{where}"
        )
        source_params = [tsquery, *where_params]
    else:
        fts5 = _fts5_query(plan)
        # The title phrase as an FTS5 phrase (the same adjacent stems in order), so the
        # documents' rows are never read: joining them doubled the cost of a broad search.
        keys = (
            f"m.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s) AS phrase_hit, "
            f"m.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s) AS title_hit, m.score"
        )
        keys_params = [f'title : "{plan.phrase}"', f"title : ({fts5})"]
        source = (
            f"FROM (SELECT rowid AS id, -bm25({FTS}, {BM25_WEIGHTS}) AS score "
            f"FROM {FTS} WHERE {FTS} MATCH %s) m "
            f"JOIN catalog_product c ON c.id = m.id{where.replace(' AND ', ' WHERE ', 1)}"
        )
        source_params = [fts5, *where_params]
    order = "phrase_hit DESC, title_hit DESC, score DESC, position, title, id"
    sql = (
        f"SELECT p.*, ({count_sql}) AS search_total FROM ("
        f"SELECT c.id AS id, c.position AS position, c.title AS title, {keys} "
        f"{source} ORDER BY {order} LIMIT %s OFFSET %s"
        ") ranked JOIN catalog_product p ON p.id = ranked.id "
        f"ORDER BY {', '.join(f'ranked.{key}' for key in order.split(', '))}"
    )
    return sql, [*count_params, *keys_params, *source_params, limit, offset]


def search_first_matching(plans: list[Plan], *, category_id: int | None) -> Plan | None:
    """The first plan that matches any active product (of the category, if given), found
    in one query."""
    if not plans:
        return None
    compiled = [_matching_sql(plan, category_id, "1") for plan in plans]
    sql = "SELECT " + ", ".join(f"EXISTS ({part})" for part, _ in compiled)
    params = [param for _, part_params in compiled for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return next((plan for plan, hit in zip(plans, found, strict=True) if hit), None)
