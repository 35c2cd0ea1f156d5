"""Reads of marketing content for the storefront."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from catalog.selectors import catalog_version

from .models import Bundle, BundleItem, HomePage, ProductMarketingPage


@dataclass(frozen=True)
class BundleOffer:
    bundle: Bundle
    products: list


@dataclass(frozen=True)
class MarketingContent:
    tagline: str
    hero_html: SafeString
    body_html: SafeString


def marketing_page_live(*, product) -> ProductMarketingPage | None:
    """The product's published marketing page; drafts and unpublished pages do not count.

    Cached per catalog version, which publishing, unpublishing or deleting one bumps.
    """
    found = cache.get_or_set(
        f"cms:marketing-page:{catalog_version()}:{product.pk}",
        # A tuple, so that "no page" is cached too.
        lambda: (ProductMarketingPage.objects.live().filter(product=product).first(),),
        settings.CATALOG_CACHE_SECONDS,
    )
    return found[0]


def marketing_content(*, page: ProductMarketingPage, preview: bool = False) -> MarketingContent:
    """Rendered blocks, cached per published version (previews are never cached)."""
    key = f"cms:marketing:{page.pk}:{page.last_published_at.timestamp() if page.last_published_at else 0}"
    cached = None if preview else cache.get(key)
    if cached is None:
        blocks = list(page.body)
        hero = [b for b in blocks if b.block_type == "hero"][:1]
        cached = (
            render_to_string("cms/_blocks.html", {"blocks": hero}),
            render_to_string("cms/_blocks.html", {"blocks": [b for b in blocks if b not in hero]}),
        )
        if not preview:
            cache.set(key, cached, settings.CMS_CACHE_SECONDS)
    return MarketingContent(
        tagline=page.tagline, hero_html=mark_safe(cached[0]), body_html=mark_safe(cached[1])
    )


SITE_SETTINGS_KEY = "cms:site-settings"


def site_settings_cached():
    """The default site's settings (one query, then cached until they are saved again)."""
    from .models import SiteSettings

    config = caches["config"]
    value = config.get(SITE_SETTINGS_KEY)
    if value is None:
        value = SiteSettings.objects.filter(site__is_default_site=True).first() or SiteSettings()
        config.set(SITE_SETTINGS_KEY, value, settings.CMS_CACHE_SECONDS)
    return value


def home_page_live() -> HomePage | None:
    return HomePage.objects.live().first()


def bundle_rules() -> list:
    """Active bundles as pricing rules (one query)."""
    from catalog.pricing import BundleRule

    bundles: dict[int, tuple] = {}
    for pk, headline, percent, product_id in BundleItem.objects.filter(
        bundle__is_active=True
    ).values_list("bundle_id", "bundle__headline", "bundle__discount_percent", "product_id"):
        bundles.setdefault(pk, (headline, percent, set()))[2].add(product_id)
    return [
        BundleRule(pk=pk, headline=headline, percent=percent, product_ids=frozenset(products))
        for pk, (headline, percent, products) in sorted(bundles.items())
    ]


def bundle_get_active(*, pk: int) -> Bundle | None:
    return Bundle.objects.filter(pk=pk, is_active=True).prefetch_related("items").first()


def bundle_list_for_product(*, product) -> list[BundleOffer]:
    """Active bundles that include `product`, with their active products (one query; cached
    per catalog version, which any bundle or product edit bumps)."""
    return cache.get_or_set(
        f"cms:bundles:{catalog_version()}:{product.pk}",
        lambda: _bundle_offers(product),
        settings.CATALOG_CACHE_SECONDS,
    )


def _bundle_offers(product) -> list[BundleOffer]:
    items = (
        BundleItem.objects.filter(
            bundle__is_active=True,
            bundle__in=BundleItem.objects.filter(product=product).values("bundle_id"),
            product__is_active=True,
        )
        .select_related("bundle", "product")
        .order_by("bundle__headline", "bundle_id", "sort_order")
    )
    offers: dict[int, BundleOffer] = {}
    for item in items:
        offer = offers.setdefault(item.bundle_id, BundleOffer(bundle=item.bundle, products=[]))
        offer.products.append(item.product)
    return list(offers.values())
