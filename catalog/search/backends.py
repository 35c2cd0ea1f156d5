"""Matching and ranking a plan with the database's own full-text index.

PostgreSQL: a weighted tsvector of the search document (title A, summary B, category C,
description D) behind a GIN expression index, ranked by `ts_rank`. SQLite: an FTS5 table
kept by triggers in step with the document table, ranked by `bm25` with the same order of
weights. The documents hold stems and the queries are built from stems, so both databases
match the same products; only the scores differ in detail.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from .query import Plan

DOCUMENTS = "catalog_productsearchdocument"
FTS = "catalog_productsearch_fts"
# The expression the GIN index holds: a query must use exactly this to use the index.
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
    return (" | " if plan.any_term else " & ").join(terms)


def _fts5_query(plan: Plan) -> str:
    def alternative(stems: tuple[str, ...], last: bool) -> str:
        # Stems hold only letters and digits, so quoting makes each a plain phrase.
        return '"' + " ".join(stems) + '"' + ("*" if last and plan.prefix else "")

    terms = [
        "(" + " OR ".join(alternative(a, i == len(plan.terms) - 1) for a in term.alternatives) + ")"
        for i, term in enumerate(plan.terms)
    ]
    return (" OR " if plan.any_term else " AND ").join(terms)


def _matches(plan: Plan) -> RawSQL:
    if connection.vendor == "postgresql":
        return RawSQL(
            f"SELECT product_id FROM {DOCUMENTS} WHERE {VECTOR} @@ {TSQUERY}", [_tsquery(plan)]
        )
    return RawSQL(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [_fts5_query(plan)])


def search_filter(products: QuerySet, plan: Plan) -> QuerySet:
    """`products` narrowed to the plan's matches, annotated with `search_rank` (higher is
    better), `phrase_hit` (the title holds the query's words in order) and `title_hit` (the
    title alone matches).

    Both are subqueries per matching product: FTS5 computes bm25 only while it runs the
    MATCH itself, never for a row reached through a join."""
    phrase = f" {plan.phrase} "
    if connection.vendor == "postgresql":
        rank_sql = (
            f"SELECT ts_rank({VECTOR}, {TSQUERY}) FROM {DOCUMENTS} "
            "WHERE product_id = catalog_product.id"
        )
        rank_params = [_tsquery(plan)]
        title_sql = (
            f"SELECT to_tsvector('simple'::regconfig, title) @@ {TSQUERY} FROM {DOCUMENTS} "
            "WHERE product_id = catalog_product.id"
        )
        title_params = rank_params
        contains = "strpos"
    else:
        rank_sql = (
            f"SELECT -bm25({FTS}, {BM25_WEIGHTS}) FROM {FTS} "
            f"WHERE {FTS} MATCH %s AND rowid = catalog_product.id"
        )
        rank_params = [_fts5_query(plan)]
        title_sql = (
            f"SELECT count(*) > 0 FROM {FTS} WHERE {FTS} MATCH %s AND rowid = catalog_product.id"
        )
        title_params = [f"title : ({_fts5_query(plan)})"]
        contains = "instr"
    phrase_hit = RawSQL(
        f"SELECT {contains}(' ' || title || ' ', %s) > 0 FROM {DOCUMENTS} "
        "WHERE product_id = catalog_product.id",
        [phrase],
        output_field=BooleanField(),
    )
    return products.filter(pk__in=_matches(plan)).annotate(
        search_rank=RawSQL(rank_sql, rank_params, output_field=FloatField()),
        phrase_hit=phrase_hit,
        title_hit=RawSQL(title_sql, title_params, output_field=BooleanField()),
    )


def search_first_matching(products: QuerySet, plans: list[Plan]) -> Plan | None:
    """The first plan that matches any of `products`, found in one query."""
    if not plans:
        return None
    checks = [products.filter(pk__in=_matches(plan)).values("pk")[:1] for plan in plans]
    compiled = [check.query.sql_with_params() for check in checks]
    sql = "SELECT " + ", ".join(f"EXISTS ({part})" for part, _ in compiled)
    params = [param for _, part_params in compiled for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return next((plan for plan, hit in zip(plans, found, strict=True) if hit), None)
