"""PostgreSQL indexes the title on its own (ADR 0015): the title tiers of a ranking matched
the whole document's vector restricted to weight A, which the GIN index cannot tell apart,
so a title query for two words every description uses rechecked every document holding them
(40,000 rows, 17 ms, in a 100,000-product catalog)."""

from django.db import migrations

from ._postgresql import postgresql_only

TABLE = "catalog_productsearchdocument"
FORWARD = [
    f"ALTER TABLE {TABLE} ADD COLUMN title_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title)) STORED",
    f"CREATE INDEX catalog_search_title_vector ON {TABLE} USING GIN (title_vector) "
    "WITH (fastupdate = off)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_search_title_vector",
    f"ALTER TABLE {TABLE} DROP COLUMN title_vector",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_search_document_position")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
