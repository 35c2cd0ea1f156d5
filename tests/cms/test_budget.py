"""The merged product page has a fixed query budget, whatever the size of its marketing body."""

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images.models import Rendition

from catalog.models import Product
from experiments.telemetry import exposure_buffer
from tests.catalog.factories import CampaignFactory, configurable_product
from tests.experiments.factories import running

from .factories import home_page, marketing_page

pytestmark = pytest.mark.django_db

PRODUCT_PAGE_BUDGET = 14


@pytest.fixture
def build():
    home = home_page()

    def build(*, gallery: int = 3, faqs: int = 3, slug: str = "insta"):
        product = configurable_product(slug=slug, title=f"Service {slug}")
        CampaignFactory(products=[product], percent=10)
        marketing_page(product, parent=home, gallery=gallery, faqs=faqs)
        return f"/products/{slug}/"

    return build


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert b'class="block-hero-heading"' in response.content  # merged, not the fallback
    return response


def count_queries(client, url) -> int:
    """Queries of one request after the page caches were dropped (renditions exist)."""
    get(client, url)  # warm-up: generates the renditions
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        get(client, url)
    return len(ctx.captured_queries)


def test_full_marketing_page_within_budget(client, build, django_assert_max_num_queries):
    url = build(gallery=3, faqs=3)
    get(client, url)
    cache.clear()
    with django_assert_max_num_queries(PRODUCT_PAGE_BUDGET):
        get(client, url)


def test_cached_marketing_page_within_budget(client, build, django_assert_max_num_queries):
    url = build()
    get(client, url)
    with django_assert_max_num_queries(PRODUCT_PAGE_BUDGET):
        get(client, url)


def test_gallery_size_does_not_change_the_query_count(client, build):
    small = count_queries(client, build(gallery=2, slug="small"))
    large = count_queries(client, build(gallery=12, slug="large"))
    assert small == large
    assert large <= PRODUCT_PAGE_BUDGET


def test_faq_count_does_not_change_the_query_count(client, build):
    few = count_queries(client, build(faqs=2, slug="few"))
    many = count_queries(client, build(faqs=10, slug="many"))
    assert few == many
    assert many <= PRODUCT_PAGE_BUDGET


def test_renditions_are_generated_once(client, build):
    url = build(gallery=4)
    assert not Rendition.objects.exists()
    get(client, url)
    generated = Rendition.objects.count()
    assert generated == 5  # hero + 4 gallery images, one size each

    cache.clear()
    get(client, url)
    get(client, url)
    assert Rendition.objects.count() == generated


def test_cold_caches_gallery_size_does_not_change_the_query_count(client, build):
    def cold_count(url):
        get(client, url)  # the renditions exist in the database
        cache.clear()
        caches["renditions"].clear()
        with CaptureQueriesContext(connection) as ctx:
            get(client, url)
        return len(ctx.captured_queries)

    assert cold_count(build(gallery=2, slug="small")) == cold_count(build(gallery=12, slug="large"))


def test_clearing_page_caches_keeps_rendition_lookups():
    """The budgets above rely on it, in tests as in production."""
    assert "renditions" in settings.CACHES
    assert Rendition.cache_backend is caches["renditions"]
    assert Rendition.cache_backend is not caches["default"]


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_product_page_within_budget_with_an_experiment_running(
    client, build, cold, django_assert_max_num_queries, settings
):
    """Exposures are buffered off the request, as in production (tests write at once)."""
    settings.TELEMETRY_FLUSH_SECONDS = 60
    url = build()
    pitch = {"hero_heading": "Real followers in 48 hours"}
    running(
        Product.objects.get(slug="insta"), variants=(("control", True, 1), ("b", False, 1, pitch))
    )
    get(client, url)
    if cold:
        cache.clear()
    with django_assert_max_num_queries(PRODUCT_PAGE_BUDGET):
        get(client, url)
    assert exposure_buffer.flush() >= 1
