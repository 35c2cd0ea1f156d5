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


# A search ranks at most this many products of each tier and lists at most this many (about
# 20 pages), as Elasticsearch's result window and the large storefronts' page limits do:
# ranking reads every product it ranks, so a word used by a tenth of a 100,000-product
# catalog would otherwise rank 10,000 of them per search.
RANKED_MAX = 500
ORDER = "tier DESC, score DESC, position, id"
RANKED_ORDER = ", ".join(f"ranked.{key}" for key in ORDER.split(", "))


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


def _tiers(plan: Plan) -> list[tuple[str, str]]:
    """(column, query) of the index's queries for the title holding the words in order (for
    two words or more), the title holding every word, and any field holding every word:
    each tier's matches include the one before. The column is PostgreSQL's (the title's own
    vector, or the whole document's); SQLite's FTS5 table filters by column in the query."""
    several = len(plan.terms) > 1
    if connection.vendor == "postgresql":
        tsquery = _tsquery(plan)
        phrase = ("title_vector", " <-> ".join(plan.phrase.split()))
        return [phrase] * several + [("title_vector", tsquery), ("vector", tsquery)]
    fts5 = _fts5_query(plan)
    phrase = ("", f'title : "{plan.phrase}"')
    return [phrase] * several + [("", f"title : ({fts5})"), ("", fts5)]


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
    `offset`, best first, each with `search_place` (from 1) and `search_total` (how many
    match, `RANKED_MAX + 1` for more than `RANKED_MAX`). An offset past the end, or past
    the `RANKED_MAX` listed, gives the last `limit`-aligned page instead. One query (two
    past the end); related objects are not loaded.

    Best first: the title holds the query's words in order, then the title holds them all,
    then any field does; within each tier the rank, then the catalog's position. Each tier
    ranks at most `RANKED_MAX` of its matches (those the index yields first), and a tier is
    read only when the ones above it do not fill the page: a broad search reads about one
    tier's `RANKED_MAX` products, however large the catalog."""
    offset = min(offset, (RANKED_MAX - 1) // limit * limit)
    rows = list(Product.objects.raw(*_ranked_sql(plan, category_id, offset=offset, limit=limit)))
    if not rows and offset > 0:
        with connection.cursor() as cursor:
            cursor.execute(*_count_sql(plan, category_id))
            (total,) = cursor.fetchone()
        if not total:
            return []
        offset = (min(total, RANKED_MAX) - 1) // limit * limit
        rows = list(
            Product.objects.raw(*_ranked_sql(plan, category_id, offset=offset, limit=limit))
        )
    for place, row in enumerate(rows, offset + 1):
        row.search_place = place
    return rows


def _matching_sql(tier: tuple[str, str], category_id: int | None, select: str) -> tuple[str, list]:
    """`SELECT {select}` over the products matching one of `_tiers`."""
    column, query = tier
    category = [] if category_id is None else [category_id]
    if connection.vendor == "postgresql":
        source = f"{DOCUMENTS} d"
        where = f"d.{column} @@ {TSQUERY}"
        if category_id is not None:
            source += " JOIN catalog_product c ON c.id = d.product_id"
            where += " AND c.category_id = %s"
        return f"SELECT {select} FROM {source} WHERE {where}", [query, *category]
    source, where = FTS, f"{FTS} MATCH %s"
    if category_id is not None:
        # CROSS JOIN keeps the index as the outer loop: as a plain join SQLite ran the
        # MATCH once per product of the category (0.4 s on 100,000 products).
        source += f" CROSS JOIN catalog_product c ON c.id = {FTS}.rowid"
        where += " AND c.category_id = %s"
    return f"SELECT {select} FROM {source} WHERE {where}", [query, *category]


def _count_sql(plan: Plan, category_id: int | None) -> tuple[str, list]:
    """How many products match, counted up to `RANKED_MAX + 1`."""
    sql, params = _matching_sql(_tiers(plan)[-1], category_id, "1")
    return f"SELECT COUNT(*) FROM ({sql} LIMIT {RANKED_MAX + 1}) counted", params


def _ranked_sql(
    plan: Plan, category_id: int | None, *, offset: int, limit: int
) -> tuple[str, list]:
    tiers = _tiers(plan)
    postgres = connection.vendor == "postgresql"
    if postgres:
        # Each tier's matches as a CTE the later steps read as far as they need: planned
        # for all its rows, so a rare word is found through the GIN index (under a LIMIT
        # the planner scanned the table, expecting an early match that never came).
        ctes, cte_params = [], []
        for n, tier in enumerate(tiers):
            # Scored as read: the CTE keeps a number per match, not its vector.
            sql, params = _matching_sql(
                tier,
                category_id,
                f"d.product_id, ts_rank(d.vector, {TSQUERY}) AS score, d.position",
            )
            ctes.append(f"tier{n} AS MATERIALIZED ({sql})")
            cte_params += [tiers[-1][1], *params]
        # A tier is read when the one before holds fewer matches than the page needs.
        fill = offset + limit
        arms = [
            f"SELECT * FROM (SELECT product_id, {len(tiers) - n} AS tier, score, position "
            f"FROM tier{n}"
            + (f" WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM tier{n - 1} LIMIT {fill}) t) < {fill}")
            * (n > 0)
            + f" LIMIT {RANKED_MAX}) arm{n}"
            for n in range(len(tiers))
        ]
        last = len(tiers) - 1
        counted = [
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM tier{n} LIMIT {RANKED_MAX + 1}) t)"
            for n in (0, last)
        ]
        # The tiers nest: when the first holds more than are listed, so does the last, whose
        # matches are then never read (for a broad word, one pass through the index fewer).
        total = (
            f"(CASE WHEN {counted[0]} > {RANKED_MAX} THEN {RANKED_MAX + 1} ELSE {counted[1]} END)"
        )
        sql = (
            f"WITH {', '.join(ctes)}, candidates AS ({' UNION ALL '.join(arms)}), "
            "best AS (SELECT DISTINCT ON (product_id) product_id AS id, tier, score, position "
            "FROM candidates ORDER BY product_id, tier DESC) "
            f"SELECT p.*, {total} AS search_total FROM ("
            "SELECT id, tier, score, position FROM best "
            f"ORDER BY {ORDER} LIMIT %s OFFSET %s"
            ") ranked JOIN catalog_product p ON p.id = ranked.id "
            f"ORDER BY {RANKED_ORDER}"
        )
        return sql, [*cte_params, limit, offset]
    fill = offset + limit
    arms, arm_params = [], []
    for n, tier in enumerate(tiers):
        # bm25 exists only inside the MATCH that found the row: each tier is ranked by its
        # own query, which orders it among its tier only, all a rank has to do.
        sql, params = _matching_sql(
            tier, category_id, f"{FTS}.rowid, {len(tiers) - n}, -bm25({FTS}, {BM25_WEIGHTS})"
        )
        if n > 0:  # read when the tier before holds fewer matches than the page needs
            before, before_params = _matching_sql(tiers[n - 1], category_id, "1")
            sql += f" AND (SELECT COUNT(*) FROM ({before} LIMIT {fill})) < {fill}"
            params += before_params
        arms.append(f"SELECT * FROM ({sql} LIMIT {RANKED_MAX})")
        arm_params += params
    total, total_params = _count_sql(plan, category_id)
    sql = (
        f"WITH candidates(id, tier, score) AS ({' UNION ALL '.join(arms)}), "
        # SQLite takes the bare column `score` from the row holding max(tier).
        "best AS (SELECT id, max(tier) AS tier, score FROM candidates GROUP BY id) "
        f"SELECT p.*, ({total}) AS search_total FROM ("
        "SELECT b.id, b.tier, b.score, d.position FROM best b "
        f"JOIN {DOCUMENTS} d ON d.product_id = b.id ORDER BY {ORDER} LIMIT %s OFFSET %s"
        ") ranked JOIN catalog_product p ON p.id = ranked.id "
        f"ORDER BY {RANKED_ORDER}"
    )
    return sql, [*arm_params, *total_params, limit, offset]


def search_first_matching(plans: list[Plan], *, category_id: int | None) -> Plan | None:
    """The first plan that matches any active product (of the category, if given), found
    in one query that stops at the first plan with a match (the later plans have fewer
    words, so they match more and cost more to check)."""
    if not plans:
        return None
    checks = [_matching_sql(_tiers(plan)[-1], category_id, "1") for plan in plans]
    whens = [f"WHEN EXISTS ({{}}) THEN {n}" for n in range(len(checks))]
    if connection.vendor == "postgresql":
        # As a CTE, each check is planned for all its rows: through the GIN index for a
        # rare word. Planned for one row, a search that matched nothing scanned the table.
        ctes = ", ".join(f"check{n} AS MATERIALIZED ({sql})" for n, (sql, _) in enumerate(checks))
        tests = " ".join(w.format(f"SELECT 1 FROM check{n}") for n, w in enumerate(whens))
        sql = f"WITH {ctes} SELECT CASE {tests} END"
    else:
        tests = " ".join(w.format(sql) for w, (sql, _) in zip(whens, checks, strict=True))
        sql = f"SELECT CASE {tests} END"
    params = [param for _, part_params in checks for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (found,) = cursor.fetchone()
    return None if found is None else plans[found]
