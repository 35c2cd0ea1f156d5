"""One search document per active product, rewritten with every edit of the product or its
category (in the edit's transaction, from `catalog.signals`). A deactivated product's
document is deleted, so the index holds only what a shopper may find and a search needs no
join with the products to leave the others out."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from ..models import Product, ProductSearchDocument
from ..services import pricing_version_bump
from .text import stems, words

FIELDS = ["title", "summary", "category", "body", "words", "position"]


def search_document_for(product: Product) -> ProductSearchDocument:
    category = f"{product.category.name} {product.get_platform_display()}"
    surface = words(f"{product.title} {product.summary} {category} {product.description}")
    return ProductSearchDocument(
        product=product,
        title=stems(product.title),
        summary=stems(product.summary),
        category=stems(category),
        body=stems(product.description),
        words=" ".join(dict.fromkeys(w for w in surface if not w.isdigit())),
        position=product.position,
    )


@transaction.atomic
def search_documents_refresh(*, product_ids: Iterable[int]) -> int:
    """Rewrite the documents of these products (delete those of inactive ones); returns how
    many were written."""
    ids = list(product_ids)
    ProductSearchDocument.objects.filter(product__in=ids, product__is_active=False).delete()
    products = list(Product.objects.filter(pk__in=ids, is_active=True).select_related("category"))
    if not products:
        return 0
    documents = [search_document_for(p) for p in products]
    existing = set(
        ProductSearchDocument.objects.filter(product__in=products).values_list("pk", flat=True)
    )
    ProductSearchDocument.objects.bulk_update(
        [d for d in documents if d.pk in existing], FIELDS, batch_size=500
    )
    ProductSearchDocument.objects.bulk_create(
        [d for d in documents if d.pk not in existing], batch_size=500
    )
    return len(documents)


def search_index_rebuild(*, batch: int = 1000, progress: Callable[[int, int], None] | None = None):
    """Every product's document, in batches of `batch` (each its own transaction), for
    products written without signals (bulk loads); then cached listings start over."""
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        search_documents_refresh(product_ids=ids[start : start + batch])
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    pricing_version_bump()
    return len(ids)
