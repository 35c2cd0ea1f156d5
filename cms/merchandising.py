"""What a product page says and offers first: the published content, or the variant of
a running experiment that this visitor is shown (variants never carry a price)."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.selectors import BundleOffer
from experiments.storefront import Shown

from .selectors import MarketingContent


@dataclass(frozen=True)
class ProductCopy:
    headline: str
    lead: str
    bundles: list[BundleOffer]  # the recommended one first
    recommended_bundle_id: int | None


def product_copy(
    *,
    summary: str,
    content: MarketingContent | None,
    bundles: list[BundleOffer],
    shown: Shown | None,
) -> ProductCopy:
    variant = shown.variant if shown else None
    headline = content.headline if content else ""
    lead = (content.tagline if content else "") or summary
    recommended = content.featured_bundle_id if content else None
    if variant is not None:
        headline = variant.hero_heading or headline
        lead = variant.hero_text or lead
        recommended = variant.bundle_id or recommended
    if recommended not in {offer.bundle.pk for offer in bundles}:
        recommended = None  # no longer offered here (inactive, or without this product)
    ordered = sorted(bundles, key=lambda offer: offer.bundle.pk != recommended)
    return ProductCopy(
        headline=headline, lead=lead, bundles=ordered, recommended_bundle_id=recommended
    )
