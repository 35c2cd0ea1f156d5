"""PostgreSQL keeps each document's weighted tsvector in a stored column (GIN-indexed), so
matching rechecks and ranking read it instead of rebuilding it per product (ADR 0015)."""

from django.db import migrations

from ._postgresql import postgresql_only

# The weighted vector of migration 0006's expression index, as a generated column.
VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, summary), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, category), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'D'))"
)
TABLE = "catalog_productsearchdocument"
FORWARD = [
    f"ALTER TABLE {TABLE} ADD COLUMN vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    f"CREATE INDEX catalog_search_vector_stored ON {TABLE} USING GIN (vector)",
    "DROP INDEX IF EXISTS catalog_search_vector",
]
BACKWARD = [
    f"CREATE INDEX catalog_search_vector ON {TABLE} USING GIN ({VECTOR})",
    f"ALTER TABLE {TABLE} DROP COLUMN vector",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_search_suggestions")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
