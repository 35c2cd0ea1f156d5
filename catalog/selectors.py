"""Reads for the storefront; every query here has a fixed cost, whatever the catalog size."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import itemgetter

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone

from core.money import Money

from .models import (
    BillingModes,
    Bundle,
    BundleItem,
    Campaign,
    Category,
    ConfigurationPreset,
    PricingVersion,
    Product,
    ProductSearchDocument,
    SearchEvent,
    SearchSynonym,
)
from .pricing import BundleRule, CampaignRule, PricingRules, listing_price, listing_sale_amount
from .related_rows import related_rows_attach, rows_with_parent
from .search.backends import RANKED_MAX as SEARCH_LISTED_MAX
from .search.backends import search_filter, search_first_matching, search_ranked
from .search.query import Plan, search_plans
from .search.spelling import Vocabulary
from .search.text import stem, words

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


def pricing_key(name: str, *, version: int) -> str:
    return f"pricing:{version}:{name}"


def pricing_cached(name: str, *, version: int, load):
    """`load()` cached under the pricing version: never stale, whatever the cache backend."""
    return cache.get_or_set(
        pricing_key(name, version=version), load, settings.PRICING_CACHE_SECONDS
    )


_memo: dict[str, tuple[str, object]] = {}


def _memoised(name: str, *, version: int, load):
    """`load()` kept in this process for the current pricing version: for data that costs
    more to unpickle from the shared cache than to build (the spelling vocabulary). A token
    in the shared cache names the build of this version, so a cleared cache or a version
    number seen before (a restored database) never serves an old build."""
    key = pricing_key(f"{name}:build", version=version)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, settings.PRICING_CACHE_SECONDS)
        token = cache.get(key)
    held = _memo.get(name)
    if held is None or held[0] != token:
        held = _memo[name] = (token, load())
    return held[1]


def category_list(*, version: int) -> list[Category]:
    return pricing_cached("categories", version=version, load=lambda: list(Category.objects.all()))


@dataclass(frozen=True)
class SearchData:
    vocabulary: Vocabulary  # the active catalog's words, for corrections
    known_stems: frozenset[str]  # the stems its index holds
    synonyms: dict[str, tuple[str, ...]]  # a synonym's stem → the stems it means


SYNONYM_MARK = "="  # never part of a word, so a synonym row cannot pass for a product's words


def search_data(*, version: int) -> SearchData:
    """What turning a query into plans needs, in one query per pricing version and process:
    the words of every active product, and the synonyms."""

    def load() -> SearchData:
        synonym_rows = (
            SearchSynonym.objects.order_by()
            .annotate(row=Concat(Value(SYNONYM_MARK), "word", Value(" "), "means"))
            .values_list("row", flat=True)
        )
        rows = (
            ProductSearchDocument.objects.filter(product__is_active=True)
            .order_by()
            .values_list("words", flat=True)
            .union(synonym_rows, all=True)
        )
        product_words, synonyms = [], {}
        for row in rows:
            if row.startswith(SYNONYM_MARK):
                word, _, means = row[1:].partition(" ")
                synonyms[stem(word)] = tuple(stem(w) for w in words(means))
            else:
                product_words.append(row.split())
        vocabulary = Vocabulary.build(product_words)
        known = frozenset(stem(word) for word in vocabulary.counts)
        return SearchData(vocabulary=vocabulary, known_stems=known, synonyms=synonyms)

    return _memoised("search-data", version=version, load=load)


def search_plan_list(*, query: str, version: int, prefix: bool = False) -> list[Plan]:
    data = search_data(version=version)
    return search_plans(
        query,
        vocabulary=data.vocabulary,
        known_stems=data.known_stems,
        synonyms=data.synonyms,
        prefix=prefix,
    )


def product_list(*, plan: Plan | None = None, category: str = "", sort: str = "featured", at=None):
    """Active products matching the search plan (all of them without one), in the requested
    order (price sorts use the listing price after campaigns running at `at`). The best
    match first is `search_ranked`'s order, not a queryset's: sort "relevance" gives the
    featured order here."""
    qs = Product.objects.filter(is_active=True).select_related("category")
    if category:
        qs = qs.filter(category__slug=category)
    if plan is not None:
        qs = search_filter(qs, plan)
    qs = qs.annotate(
        list_amount=Case(
            When(billing_modes=BillingModes.SUBSCRIPTION, then=F("subscription_amount")),
            default=F("base_amount"),
        )
    )
    if sort in ("price_asc", "price_desc"):
        qs = qs.annotate(shown_amount=listing_sale_amount(at=at or timezone.now()))
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


def campaign_rules(*, at=None) -> list[CampaignRule]:
    """Running and upcoming campaigns with their targets, in one query however many they target."""
    at = at or timezone.now()
    # Upcoming campaigns too: pricing checks each window at the moment it prices, so a
    # cached list stays right when a campaign starts.
    live = Q(campaign__is_active=True, campaign__ends_at__gt=at)
    by_product = Campaign.products.through.objects.filter(live)
    by_category = Campaign.categories.through.objects.filter(live)
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
    """Campaigns (for one product, or all of them) as of the pricing version: one cached list
    for the whole catalog, so a product's first page view costs no query for them."""
    rules = pricing_cached("campaigns", version=version, load=campaign_rules)
    if product is None:
        return rules
    return [
        rule
        for rule in rules
        if product.pk in rule.product_ids or product.category_id in rule.category_ids
    ]


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
    showing: str = ""  # a search found nothing as typed: the corrected query shown instead
    more: bool = False  # more products match than a search lists (`count` of them)


_EMPTY = CatalogPage(cards=[], number=1, num_pages=1, count=0, has_previous=False, has_next=False)


def catalog_page(*, query: str, category: str, sort: str, page: int, version: int) -> CatalogPage:
    """One page of listing cards with campaign prices; out-of-range pages clamp.

    Rows carry the total count (a window), so a page costs one query; a page past the end
    costs a second one, which reads the last page. A search tries its plans in order
    (`catalog.search.query`); in best-match order the first is ranked at once (`_first_ranked`),
    otherwise one query finds the first that matches anything, then its page is read.
    """
    at = timezone.now()
    if not query:
        return _page(
            product_list(category=category, sort=sort, at=at), page=page, version=version, at=at
        )
    plans = search_plan_list(query=query, version=version)
    category_id = next((c.pk for c in category_list(version=version) if c.slug == category), None)
    if category and category_id is None:
        plans = []
    if sort == "relevance":
        size = settings.CATALOG_PAGE_SIZE
        plan, rows = _first_ranked(
            plans, category_id=category_id, offset=(max(page, 1) - 1) * size, limit=size
        )
        result = _ranked_page(rows, version=version, at=at)
    else:
        plan = (
            plans[0] if len(plans) == 1 else search_first_matching(plans, category_id=category_id)
        )
        result = (
            _EMPTY
            if plan is None
            else _page(
                product_list(plan=plan, category=category, sort=sort, at=at),
                page=page,
                version=version,
                at=at,
            )
        )
    return result if plan is None or plan.as_typed else replace(result, showing=plan.shown)


def _first_ranked(plans: list[Plan], *, category_id: int | None, offset: int, limit: int):
    """(the first plan that matches, its ranked rows), or (None, []). The first plan is
    ranked at once, as it usually matches: one query; when it does not, one query finds the
    first of the others that does, then its rows."""
    if not plans:
        return None, []
    rows = search_ranked(plans[0], category_id=category_id, offset=offset, limit=limit)
    if rows or len(plans) == 1:
        return (plans[0] if rows else None), rows
    plan = search_first_matching(plans[1:], category_id=category_id)
    if plan is None:
        return None, []
    return plan, search_ranked(plan, category_id=category_id, offset=offset, limit=limit)


SUGGESTIONS = 6


@dataclass(frozen=True)
class Suggestion:
    product_id: int
    slug: str
    title: str
    url: str


def search_suggestion_list(*, query: str, version: int) -> list[Suggestion]:
    """Services for what a shopper has typed so far (the last word may be unfinished), best
    first; two queries, whatever the catalog size (plus the words once per version)."""
    plans = search_plan_list(query=query, version=version, prefix=True)
    _, rows = _first_ranked(plans, category_id=None, offset=0, limit=SUGGESTIONS)
    return [
        Suggestion(
            product_id=p.pk,
            slug=p.slug,
            title=p.title,
            url=reverse("catalog:product-detail", kwargs={"slug": p.slug}),
        )
        for p in rows
    ]


def _ranked_page(rows: list[Product], *, version: int, at) -> CatalogPage:
    """`_page` for the best matches first (`search_ranked`'s rows, clamped to the last page);
    the cards' categories come from the cached list."""
    if not rows:
        return _EMPTY
    size = settings.CATALOG_PAGE_SIZE
    categories = {c.pk: c for c in category_list(version=version)}
    for product in rows:
        product.category = categories[product.category_id]
    number = (rows[0].search_place - 1) // size + 1
    total = rows[0].search_total  # SEARCH_LISTED_MAX + 1: more match than are listed
    listed = min(total, SEARCH_LISTED_MAX)
    page = _cards_page(rows, number=number, count=listed, version=version, at=at)
    return replace(page, more=total > listed)


def _page(products, *, page: int, version: int, at) -> CatalogPage:
    size = settings.CATALOG_PAGE_SIZE
    products = products.annotate(matches=Window(Count("pk")))
    number = max(page, 1)
    rows = list(products[(number - 1) * size : number * size])
    if not rows and number > 1:
        tail = list(products.reverse()[:size])
        if tail:
            count = tail[0].matches
            number = -(-count // size)
            rows = tail[: count - (number - 1) * size][::-1]
    count = rows[0].matches if rows else 0
    return _cards_page(rows, number=number, count=count, version=version, at=at)


def _cards_page(rows: list[Product], *, number: int, count: int, version: int, at) -> CatalogPage:
    """Listing cards for one page of products, priced with the campaigns running at `at`
    (the cached list holds upcoming ones too; pricing checks each window)."""
    num_pages = max(1, -(-count // settings.CATALOG_PAGE_SIZE))
    number = min(number, num_pages)
    campaigns = campaign_rules_cached(version=version) if rows else []
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


def _with_pricing_relations(products: list[Product]) -> list[Product]:
    """`products` with what pricing reads attached (option groups with their options, add-ons,
    tiers): four queries however many products, as each model orders its rows."""
    groups = related_rows_attach(
        products, related_name="option_groups", order_by=("position", "id")
    )
    related_rows_attach(groups, related_name="options", order_by=("position", "id"))
    related_rows_attach(products, related_name="addons", order_by=("position", "id"))
    related_rows_attach(products, related_name="tiers", order_by=("min_quantity", "id"))
    return products


def product_get_for_pricing(
    *, slug: str | None = None, pk: int | None = None, active_only: bool = True
):
    """A product with everything pricing needs, in a fixed number of queries."""
    column, value = ("slug", slug) if slug is not None else (Product._meta.pk.column, pk)
    found = rows_with_parent(Product, column, [value], field_name="category")
    product = next((p for p in found if p.is_active or not active_only), None)
    if product is None:
        return None
    return _with_pricing_relations([product])[0]


def products_for_pricing(pks, *, version: int) -> dict[int, Product]:
    """Products with everything pricing reads, by pk, as of `version`. Cache misses are
    loaded together (a fixed number of queries however many products)."""
    keys = {pk: pricing_key(f"product:{pk}", version=version) for pk in set(pks)}
    found = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        products = rows_with_parent(
            Product, Product._meta.pk.column, missing, field_name="category"
        )
        loaded = {keys[p.pk]: p for p in _with_pricing_relations(products)}
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
    under the pricing version, which any bundle or product edit bumps). A product in no
    bundle, most of a large catalog, is answered from the cached bundle rules alone."""
    rules = pricing_cached("bundles", version=version, load=bundle_rules)
    if not any(product.pk in rule.product_ids for rule in rules):
        return []
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
    rows = qs.values("query").annotate(searches=Count("id"))
    if zero_results:  # what was searched instead, when a correction found something
        rows = rows.annotate(suggested=Max("suggestion"))
    return list(rows.order_by("-searches", "query")[:limit])


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
    """Most frequent searches that found nothing as typed, for merchandising:
    [{'query': …, 'searches': n, 'suggested': the correction shown, or ''}]."""
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


def search_query_count(*, since: datetime) -> int:
    """How many different queries were searched since `since`."""
    return _searches_since(since, 0).exclude(query="").values("query").distinct().count()


def search_query_insights(*, since: datetime) -> Iterator[dict]:
    """Every query searched since `since`, most searched first: searches, zero-result searches,
    first and last search, and those counts per category and per sort.

    One query: the searches themselves, each with its query's count (a window), so they arrive
    sorted with each query's searches together and are summed as they stream past in chunks;
    memory stays flat however many searches the period holds."""
    rows = (
        _searches_since(since, 0)
        .exclude(query="")
        .annotate(query_searches=Window(Count("id"), partition_by=[F("query")]))
        .order_by("-query_searches", "query")
        .values_list("query", "category", "sort", "result_count", "created_at")
        .iterator(chunk_size=5000)
    )
    for query, searches in itertools.groupby(rows, key=itemgetter(0)):
        total, zero, first, last = 0, 0, None, None
        categories: dict[str, list[int]] = {}
        sorts: dict[str, list[int]] = {}
        for _, category, sort, result_count, at in searches:
            missed = result_count == 0
            total += 1
            zero += missed
            first = at if first is None or at < first else first
            last = at if last is None or at > last else last
            for counts in (categories.setdefault(category, [0, 0]), sorts.setdefault(sort, [0, 0])):
                counts[0] += 1
                counts[1] += missed
        yield {
            "query": query,
            "searches": total,
            "zero_results": zero,
            "first_searched": first,
            "last_searched": last,
            "by_category": _breakdown(categories, "category"),
            "by_sort": _breakdown(sorts, "sort"),
        }


def _breakdown(counts: dict[str, list[int]], field: str) -> list[dict]:
    """[{field: value, "searches", "zero_results"}], most searched first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    return [{field: value, "searches": n, "zero_results": z} for value, (n, z) in ordered]


def search_trending_cached(*, limit: int = 8) -> list[dict]:
    key = "catalog:trending"
    trending = cache.get(key)
    if trending is None:
        trending = search_trending(limit=limit)
        cache.set(key, trending, settings.CATALOG_CACHE_SECONDS)
    return trending
