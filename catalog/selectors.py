"""Reads for the storefront; every query here has a fixed cost, whatever the catalog size."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    Prefetch,
    Q,
    Value,
    When,
    Window,
)
from django.utils import timezone

from core.money import Money

from .models import (
    BillingModes,
    Bundle,
    BundleItem,
    Campaign,
    Category,
    ConfigurationPreset,
    Option,
    OptionGroup,
    PricingVersion,
    Product,
    SearchEvent,
)
from .pricing import BundleRule, CampaignRule, PricingRules, listing_price, listing_sale_amount

SORTS = {
    "featured": ("position", "title", "pk"),
    # By the price the card shows: the sale price when a campaign runs.
    "price_asc": ("shown_amount", "title", "pk"),
    "price_desc": ("-shown_amount", "title", "pk"),
    "title_asc": ("title", "pk"),
    "title_desc": ("-title", "-pk"),
}
SORT_LABELS = {
    "featured": "Featured",
    "relevance": "Best match",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "title_asc": "Name: A to Z",
    "title_desc": "Name: Z to A",
}
MAX_SEARCH_TERMS = 8


def pricing_version(*, recent: bool = False) -> int:
    """The current `PricingVersion`. Every cache of catalog data (display and charging alike)
    is keyed by it, so an edit shows everywhere, in every process, on the next request. Read
    it once per request and pass it on.

    Exact by default (one query). `recent=True` accepts this process's last reading if it is
    at most `PRICING_VERSION_RECENT_SECONDS` old, so pages for visitors without a session cost
    no query when cached: they hold no cart, and whatever they add is priced exactly.
    """
    if recent:
        value, read_at = _recent_version
        if time.monotonic() - read_at < settings.PRICING_VERSION_RECENT_SECONDS:
            return value
    value = PricingVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 1
    _remember_version(value)
    return value


_recent_version: tuple[int, float] = (0, float("-inf"))


def _remember_version(value: int) -> None:
    global _recent_version
    _recent_version = (value, time.monotonic())


def pricing_version_forget() -> None:
    """This process's next `recent` reading goes to the database (after its own edits)."""
    global _recent_version
    _recent_version = (0, float("-inf"))


def pricing_cached(name: str, *, version: int, load):
    """`load()` cached under the pricing version: never stale, whatever the cache backend."""
    return cache.get_or_set(f"pricing:{version}:{name}", load, settings.PRICING_CACHE_SECONDS)


def category_list(*, version: int) -> list[Category]:
    return pricing_cached("categories", version=version, load=lambda: list(Category.objects.all()))


def search_terms(query: str) -> list[str]:
    return query.split()[:MAX_SEARCH_TERMS]


def product_list(*, query: str = "", category: str = "", sort: str = "featured", at=None):
    """Active products matching every search term, in the requested order (price sorts use the
    listing price after campaigns running at `at`)."""
    qs = Product.objects.filter(is_active=True).select_related("category")
    if category:
        qs = qs.filter(category__slug=category)
    terms = search_terms(query)
    for term in terms:
        qs = qs.filter(
            Q(title__icontains=term)
            | Q(summary__icontains=term)
            | Q(category__name__icontains=term)
            | Q(platform__iexact=term)
        )
    qs = qs.annotate(
        list_amount=Case(
            When(billing_modes=BillingModes.SUBSCRIPTION, then=F("subscription_amount")),
            default=F("base_amount"),
        )
    )
    if sort in ("price_asc", "price_desc"):
        qs = qs.annotate(shown_amount=listing_sale_amount(at=at or timezone.now()))
    if sort == "relevance" and terms:
        qs = qs.annotate(
            title_rank=Case(
                When(title__icontains=query, then=Value(0)),
                When(title__icontains=terms[0], then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        return qs.order_by("title_rank", "position", "title", "pk")
    return qs.order_by(*SORTS.get(sort, SORTS["featured"]))


_RULE_FIELDS = (
    "campaign_id",
    "campaign__name",
    "campaign__badge",
    "campaign__kind",
    "campaign__percent",
    "campaign__amount",
    "campaign__currency",
    "campaign__starts_at",
    "campaign__ends_at",
)


def campaign_rules(*, at=None, product: Product | None = None) -> list[CampaignRule]:
    """Running and upcoming campaigns with their targets, in one query however many they target.

    With `product`, only campaigns that target it (directly or by category).
    """
    at = at or timezone.now()
    # Upcoming campaigns too: pricing checks each window at the moment it prices, so a
    # cached list stays right when a campaign starts.
    live = Q(campaign__is_active=True, campaign__ends_at__gt=at)
    by_product = Campaign.products.through.objects.filter(live)
    by_category = Campaign.categories.through.objects.filter(live)
    if product is not None:
        by_product = by_product.filter(product_id=product.pk)
        by_category = by_category.filter(category_id=product.category_id)
    none = Value(None, output_field=BigIntegerField())
    rows = (
        by_product.annotate(target_product=F("product_id"), target_category=none)
        .values_list(*_RULE_FIELDS, "target_product", "target_category")
        .union(
            by_category.annotate(target_product=none, target_category=F("category_id")).values_list(
                *_RULE_FIELDS, "target_product", "target_category"
            ),
            all=True,
        )
    )
    grouped: dict[int, tuple] = {}
    targets: dict[int, tuple[set, set]] = {}
    for row in rows:
        grouped[row[0]] = row[: len(_RULE_FIELDS)]
        products, categories = targets.setdefault(row[0], (set(), set()))
        if row[-2] is not None:
            products.add(row[-2])
        if row[-1] is not None:
            categories.add(row[-1])
    return [
        CampaignRule(
            *fields,
            product_ids=frozenset(targets[pk][0]),
            category_ids=frozenset(targets[pk][1]),
        )
        for pk, fields in sorted(grouped.items())
    ]


def campaign_rules_cached(*, version: int, product: Product | None = None) -> list[CampaignRule]:
    """Campaigns (for one product, or all of them) as of the pricing version."""
    return pricing_cached(
        f"campaigns:{product.pk if product else 'all'}",
        version=version,
        load=lambda: campaign_rules(product=product),
    )


@dataclass(frozen=True)
class ProductCard:
    product: Product
    price: Money
    sale_price: Money
    badge: str

    @property
    def on_sale(self) -> bool:
        return self.sale_price.amount < self.price.amount


@dataclass(frozen=True)
class CatalogPage:
    cards: list[ProductCard]
    number: int
    num_pages: int
    count: int
    has_previous: bool
    has_next: bool


def catalog_page(*, query: str, category: str, sort: str, page: int) -> CatalogPage:
    """One page of listing cards with campaign prices; out-of-range pages clamp.

    Rows carry the total count (a window), so a page costs one query; a page past the end
    costs a second one, which reads the last page.
    """
    at = timezone.now()
    size = settings.CATALOG_PAGE_SIZE
    products = product_list(query=query, category=category, sort=sort, at=at).annotate(
        matches=Window(Count("pk"))
    )
    number = max(page, 1)
    rows = list(products[(number - 1) * size : number * size])
    if not rows and number > 1:
        tail = list(products.reverse()[:size])
        if tail:
            count = tail[0].matches
            number = -(-count // size)
            rows = tail[: count - (number - 1) * size][::-1]
    count = rows[0].matches if rows else 0
    num_pages = max(1, -(-count // size))
    number = min(number, num_pages)
    campaigns = campaign_rules(at=at) if rows else []
    cards = []
    for product in rows:
        price, sale, campaign = listing_price(product=product, campaigns=campaigns, at=at)
        badge = campaign.label if campaign else ""
        cards.append(ProductCard(product=product, price=price, sale_price=sale, badge=badge))
    return CatalogPage(
        cards=cards,
        number=number,
        num_pages=num_pages,
        count=count,
        has_previous=number > 1,
        has_next=number < num_pages,
    )


def product_featured_list(*, limit: int = 6) -> list[Product]:
    return list(
        Product.objects.filter(is_active=True)
        .select_related("category")
        .order_by("position", "title")[:limit]
    )


def _pricing_queryset():
    return Product.objects.select_related("category").prefetch_related(
        Prefetch(
            "option_groups",
            queryset=OptionGroup.objects.prefetch_related(
                Prefetch("options", queryset=Option.objects.order_by("position", "pk"))
            ),
        ),
        "addons",
        "tiers",
    )


def product_get_for_pricing(
    *, slug: str | None = None, pk: int | None = None, active_only: bool = True
):
    """A product with everything pricing needs, in a fixed number of queries."""
    qs = _pricing_queryset()
    if active_only:
        qs = qs.filter(is_active=True)
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    return qs.filter(**lookup).first()


def products_for_pricing(pks, *, version: int) -> dict[int, Product]:
    """Products with everything pricing reads, by pk, as of `version`. Cache misses are
    loaded together (a fixed number of queries however many products)."""
    keys = {pk: f"pricing:{version}:product:{pk}" for pk in set(pks)}
    found = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        loaded = {keys[p.pk]: p for p in _pricing_queryset().filter(pk__in=missing)}
        cache.set_many(loaded, settings.PRICING_CACHE_SECONDS)
        found.update(loaded)
    return {pk: found[key] for pk, key in keys.items() if key in found}


def product_get_for_display(*, slug: str, version: int) -> Product | None:
    """`product_get_for_pricing` for the product page, cached under the pricing version
    (a missing product is cached too)."""
    found = pricing_cached(
        f"product-page:{slug}", version=version, load=lambda: (product_get_for_pricing(slug=slug),)
    )
    return found[0]


@dataclass(frozen=True)
class BundleOffer:
    bundle: Bundle
    products: list[Product]


def bundle_rules() -> list[BundleRule]:
    """Active bundles as pricing rules (one query)."""
    bundles: dict[int, tuple] = {}
    rows = BundleItem.objects.filter(bundle__is_active=True).values_list(
        "bundle_id", "bundle__headline", "bundle__discount_percent", "bundle__billing", "product_id"
    )
    for pk, headline, percent, billing, product_id in rows:
        bundles.setdefault(pk, (headline, percent, billing, set()))[3].add(product_id)
    return [
        BundleRule(
            pk=pk,
            headline=headline,
            percent=percent,
            billing=billing,
            product_ids=frozenset(products),
        )
        for pk, (headline, percent, billing, products) in sorted(bundles.items())
    ]


def pricing_rules(*, version: int, bundles: bool = True) -> PricingRules:
    """Campaigns and (unless a cart has no bundle lines) bundles as of `version`; cached, at
    most two queries on a miss."""
    return PricingRules(
        campaigns=tuple(pricing_cached("campaigns", version=version, load=campaign_rules)),
        bundles=tuple(pricing_cached("bundles", version=version, load=bundle_rules))
        if bundles
        else (),
    )


def bundle_get_active(*, pk: int) -> Bundle | None:
    return Bundle.objects.filter(pk=pk, is_active=True).prefetch_related("items").first()


def bundle_list_for_product(*, product: Product, version: int) -> list[BundleOffer]:
    """Active bundles that include `product`, with their active products (one query; cached
    under the pricing version, which any bundle or product edit bumps)."""
    return pricing_cached(
        f"bundle-offers:{product.pk}", version=version, load=lambda: _bundle_offers(product)
    )


def _bundle_offers(product: Product) -> list[BundleOffer]:
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


def preset_list_for_user(*, user, product: Product) -> list[ConfigurationPreset]:
    return list(ConfigurationPreset.objects.filter(user=user, product=product)[:50])


def _searches_since(since: datetime | None, days: int, until: datetime | None = None):
    since = since or timezone.now() - timedelta(days=days)
    searches = SearchEvent.objects.filter(created_at__gte=since)
    if until is not None:
        searches = searches.filter(created_at__lt=until)
    return searches.order_by()


def _search_counts(qs, *, limit: int, zero_results: bool):
    qs = qs.exclude(query="")
    qs = qs.filter(result_count=0) if zero_results else qs.filter(result_count__gt=0)
    return list(
        qs.values("query").annotate(searches=Count("id")).order_by("-searches", "query")[:limit]
    )


def search_trending(
    *,
    days: int = 7,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[dict]:
    """Most frequent searches that found something, over the last `days` or since `since`
    (and before `until`): [{'query': …, 'searches': n}]."""
    return _search_counts(_searches_since(since, days, until), limit=limit, zero_results=False)


def search_zero_results(
    *,
    days: int = 7,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
) -> list[dict]:
    """Most frequent searches that found nothing, for merchandising."""
    return _search_counts(_searches_since(since, days, until), limit=limit, zero_results=True)


def search_insights(*, since: datetime, limit: int) -> dict:
    """Catalog searches since `since` for operators: totals; the `limit` most frequent queries,
    categories and sorts (each with its zero-result count); trending and zero-result queries.
    Six queries whatever the number of searches."""
    qs = _searches_since(since, 0)
    zero = Count("id", filter=Q(result_count=0))

    def counts(field: str) -> list[dict]:
        rows = (
            qs.values(field)
            .annotate(searches=Count("id"), zero_results=zero)
            .order_by("-searches", field)[:limit]
        )
        return list(rows)

    return {
        "since": since.isoformat(),
        "limit": limit,
        **qs.aggregate(searches=Count("id"), zero_results=zero),
        "by_query": counts("query"),
        "by_category": counts("category"),
        "by_sort": counts("sort"),
        "trending": search_trending(since=since, limit=limit),
        "zero_result_queries": search_zero_results(since=since, limit=limit),
    }


def search_trending_cached(*, limit: int = 8) -> list[dict]:
    key = "catalog:trending"
    trending = cache.get(key)
    if trending is None:
        trending = search_trending(limit=limit)
        cache.set(key, trending, settings.CATALOG_CACHE_SECONDS)
    return trending
