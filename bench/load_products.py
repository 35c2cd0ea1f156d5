"""Grow the demo catalog to N products, fast, for the benchmark.

Run after `manage.py seed_demo`, with the same environment as the app:

    DATABASE_URL=... .venv/bin/python bench/load_products.py --total 10000

bulk_create in batches keeps 10,000 products to a few seconds. It bypasses the
model signals that bump the catalog cache version; that does not matter because
the web server starts afterwards with an empty cache.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BATCH_SIZE = 1000
SLUG_PREFIX = "bench-product-"

# Titles mix words shoppers actually search for ("followers", "views", "growth")
# so that the search scenario matches a realistic share of the catalog.
QUALIFIERS = ["Starter", "Pro", "Premium", "Organic", "Targeted", "Express", "Local", "Global"]
NOUNS = ["Followers", "Views", "Growth", "Likes", "Subscribers", "Comments", "Shares", "Reach"]
OPTION_LABELS = [("Standard delivery", 0), ("Fast delivery", 500), ("Drip-feed over 7 days", 200)]


def setup_django() -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smplat.settings.production")
    import django

    django.setup()


def product_specs(start: int, count: int, categories, platforms):
    """Yield (slug, fields) for products number start..start+count-1, deterministically."""
    category_cycle = itertools.cycle(categories)
    for number in range(start, start + count):
        platform = platforms[number % len(platforms)]
        noun = NOUNS[number % len(NOUNS)]
        qualifier = QUALIFIERS[(number // len(NOUNS)) % len(QUALIFIERS)]
        title = f"{qualifier} {platform.label} {noun} #{number}"
        yield (
            f"{SLUG_PREFIX}{number:05d}",
            {
                "title": title,
                "summary": f"{qualifier} {noun.lower()} package for {platform.label} accounts.",
                "category": next(category_cycle),
                "platform": platform.value,
                "billing_modes": "one_off",
                # Spread prices over $5–$505 so price sorts have something to do.
                "base_amount": 500 + (number * 7919) % 50_000,
                "is_active": True,
            },
        )


def insert_batch(specs, first_position: int) -> int:
    """Insert one batch of products with one required option group of 3 options each."""
    from django.db import transaction

    from catalog.models import Option, OptionGroup, Product
    from catalog.search.index import search_documents_refresh

    with transaction.atomic():
        products = [
            Product(slug=slug, position=first_position + i * 10, **fields)
            for i, (slug, fields) in enumerate(specs)
        ]
        Product.objects.bulk_create(products)
        # Not every backend returns primary keys from a bulk insert: look them up.
        ids = dict(
            Product.objects.filter(slug__in=[p.slug for p in products]).values_list("slug", "pk")
        )
        groups = [
            OptionGroup(
                product_id=ids[p.slug],
                name="Delivery speed",
                selection="single",
                required=True,
                position=0,
            )
            for p in products
        ]
        OptionGroup.objects.bulk_create(groups)
        group_ids = OptionGroup.objects.filter(product_id__in=ids.values()).values_list(
            "pk", flat=True
        )
        Option.objects.bulk_create(
            Option(
                group_id=group_id,
                label=label,
                price_delta_amount=delta,
                is_default=(position == 0),
                position=position,
            )
            for group_id in group_ids
            for position, (label, delta) in enumerate(OPTION_LABELS)
        )
        # A bulk insert sends no signals: index the batch in its own transaction.
        search_documents_refresh(product_ids=ids.values())
    return len(products)


def load(total: int) -> int:
    """Add products until the catalog holds `total`; returns how many were added."""
    from django.db.models import Max

    from catalog.models import Category, Platform, Product

    categories = list(Category.objects.all())
    if not categories:
        raise SystemExit("No categories: run `manage.py seed_demo` first.")
    existing = Product.objects.count()
    missing = max(0, total - existing)
    # Continue numbering after any bench products a previous run left behind.
    start = Product.objects.filter(slug__startswith=SLUG_PREFIX).count() + 1
    position = (Product.objects.aggregate(m=Max("position"))["m"] or 0) + 10
    platforms = list(Platform)

    specs = product_specs(start, missing, categories, platforms)
    added = 0
    while added < missing:
        batch = list(itertools.islice(specs, BATCH_SIZE))
        added += insert_batch(batch, position + added * 10)
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=10_000, help="products wanted in all")
    args = parser.parse_args()
    setup_django()
    added = load(args.total)
    from django.db import connection

    # Planner statistics for the new rows, as autovacuum would gather after a bulk load (it
    # may be off, or not yet run, when the benchmark starts).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"load_products: added {added} products (catalog target {args.total}).")


if __name__ == "__main__":
    main()
