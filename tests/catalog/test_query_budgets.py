"""Page query counts are fixed, whatever the catalog size (cold cache: the worst case)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category, Option, OptionGroup, Product
from catalog.search.index import search_documents_refresh
from cms.selectors import site_settings_cached

from .factories import CampaignFactory, CategoryFactory, configurable_product

pytestmark = pytest.mark.django_db

CATALOG_BUDGET = 8
PRODUCT_BUDGET = 10  # a visitor
# A signed-in client adds session, user and presets; 14 is the page's limit with CMS content.
PRODUCT_BUDGET_SIGNED_IN = 14


def grow_catalog(total: int) -> None:
    """Bulk-add products (each with an option group) until the catalog has `total`."""
    categories = [CategoryFactory(slug=f"bulk-{i}", name=f"Bulk {i}") for i in range(4)]
    start = Product.objects.count()
    products = Product.objects.bulk_create(
        Product(
            slug=f"bulk-{n}",
            title=f"Bulk followers {n}",
            summary="Bulk growth service",
            category=categories[n % 4],
            platform="tiktok",
            base_amount=500 + n,
            position=n,
        )
        for n in range(start, total)
    )
    groups = OptionGroup.objects.bulk_create(OptionGroup(product=p, name="Size") for p in products)
    Option.objects.bulk_create(Option(group=g, label="One") for g in groups)
    search_documents_refresh(product_ids=[p.pk for p in products])  # bulk_create sends no signal
    cache.clear()


def count_queries(client, url, **params) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture(autouse=True)
def site_settings_loaded():
    """The footer's settings have their own cache, emptied only when staff save them; load
    them first so that every measured request is alike."""
    site_settings_cached()


@pytest.fixture
def shop():
    product = configurable_product(slug="insta", title="Insta followers")
    CampaignFactory(products=[product], percent=10)
    CampaignFactory(categories=list(Category.objects.all()), percent=5)
    return product


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "followers"},
        {"q": "no such thing"},
        {"sort": "price_desc", "page": 2},
        {"category": "bulk-1"},
    ],
)
def test_catalog_queries_do_not_grow_with_catalog_size(client, shop, params):
    grow_catalog(50)  # both sizes have a second page
    small = count_queries(client, "/catalog/", **params)
    grow_catalog(2_000)
    large = count_queries(client, "/catalog/", **params)
    assert small == large
    assert large <= CATALOG_BUDGET


def test_a_page_past_the_end_costs_one_query_more_and_shows_the_last_page(client, shop):
    grow_catalog(30)
    within = count_queries(client, "/catalog/", page=2)
    past = count_queries(client, "/catalog/", page=9)
    assert past == within + 1 <= CATALOG_BUDGET
    assert b"Page 2 of 2" in client.get("/catalog/", {"page": 9}).content


def test_a_search_page_past_the_end_shows_the_last_page_within_the_budget(client, shop):
    grow_catalog(30)
    past = count_queries(client, "/catalog/", q="bulk", page=9)
    assert past <= CATALOG_BUDGET
    content = client.get("/catalog/", {"q": "bulk", "page": 9}).content
    assert b"Page 2 of 2" in content
    assert b"Bulk followers" in content


def test_catalog_budget_holds_when_signed_in(client, django_assert_max_num_queries, shop):
    grow_catalog(2_000)
    client.force_login(get_user_model().objects.create_user("budget", password="x-pass-123"))
    cache.clear()
    # A signed-in client adds the session and the user; the cold worst case is one more than
    # a visitor's because a search also reads the catalog's words and synonyms (once per
    # catalog version and process).
    with django_assert_max_num_queries(CATALOG_BUDGET + 1):
        assert client.get("/catalog/", {"q": "followers"}).status_code == 200


@pytest.mark.parametrize("signed_in", [False, True])
def test_product_page_queries_do_not_grow_with_catalog_size(
    client, django_assert_max_num_queries, shop, signed_in
):
    if signed_in:
        client.force_login(get_user_model().objects.create_user("budget", password="x-pass-123"))
    grow_catalog(20)
    small = count_queries(client, "/products/insta/")
    grow_catalog(2_000)
    large = count_queries(client, "/products/insta/")
    assert small == large
    cache.clear()
    with django_assert_max_num_queries(PRODUCT_BUDGET_SIGNED_IN if signed_in else PRODUCT_BUDGET):
        client.get("/products/insta/")
