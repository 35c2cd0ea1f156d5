"""Reads of marketing content for the storefront."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from catalog.selectors import pricing_cached, pricing_key

from .models import HomePage, ProductMarketingPage, SiteSettings


@dataclass(frozen=True)
class MarketingContent:
    headline: str
    tagline: str
    featured_bundle_id: int | None
    hero_html: SafeString
    body_html: SafeString


def marketing_page_live(*, product, version: int) -> ProductMarketingPage | None:
    """The product's published marketing page; drafts and unpublished pages do not count.

    Cached under the pricing version, which publishing, unpublishing or deleting one bumps.
    One query loads every live page (staff write tens, not thousands), caching each under
    its product and answering with the set of products that have one, so the many without
    cost no query and a cold page with one costs a single query.
    """
    with_pages = pricing_cached(
        "marketing-products", version=version, load=lambda: _marketing_pages_load(version)
    )
    if product.pk not in with_pages:
        return None
    found = pricing_cached(
        f"marketing-page:{product.pk}",
        version=version,
        # Evicted alone (a bounded cache): read again by itself.
        load=lambda: ProductMarketingPage.objects.live().filter(product=product).first(),
    )
    return found


def _marketing_pages_load(version: int) -> frozenset[int]:
    pages = {page.product_id: page for page in ProductMarketingPage.objects.live()}
    cache.set_many(
        {pricing_key(f"marketing-page:{pk}", version=version): p for pk, p in pages.items()},
        settings.PRICING_CACHE_SECONDS,
    )
    return frozenset(pages)


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
        headline=page.headline,
        tagline=page.tagline,
        featured_bundle_id=page.featured_bundle_id,
        hero_html=mark_safe(cached[0]),
        body_html=mark_safe(cached[1]),
    )


SITE_SETTINGS_KEY = "cms:site-settings"


def site_settings_cached():
    """The default site's settings (one query, then cached until they are saved again)."""
    config = caches["config"]
    value = config.get(SITE_SETTINGS_KEY)
    if value is None:
        value = SiteSettings.objects.filter(site__is_default_site=True).first() or SiteSettings()
        config.set(SITE_SETTINGS_KEY, value, settings.CMS_CACHE_SECONDS)
    return value


def home_page_live() -> HomePage | None:
    return HomePage.objects.live().first()
