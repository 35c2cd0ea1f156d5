"""Sorting by price orders the listing by the price each card shows, campaigns included."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Campaign
from catalog.pricing import listing_price
from catalog.selectors import campaign_rules, catalog_page, product_list

from .factories import CampaignFactory, CategoryFactory, ProductFactory
from .test_catalog_views import URL, titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    social = CategoryFactory(slug="social", name="Social")
    video = CategoryFactory(slug="video", name="Video")
    return {
        "premium": ProductFactory(title="Premium Followers", category=social, base_amount=3_000),
        "views": ProductFactory(title="Video Views", category=video, base_amount=2_000),
        "likes": ProductFactory(title="Quick Likes", category=social, base_amount=1_000),
    }


def test_a_discounted_product_ranks_by_its_sale_price(client, catalog):
    CampaignFactory(products=[catalog["premium"]], percent=Decimal("50"), badge="Half price")
    # Cards: Quick Likes $10, Premium Followers $30 → $15, Video Views $20.
    assert titles(client.get(URL, {"sort": "price_asc"})) == [
        "Quick Likes",
        "Premium Followers",
        "Video Views",
    ]
    assert titles(client.get(URL, {"sort": "price_desc"})) == [
        "Video Views",
        "Premium Followers",
        "Quick Likes",
    ]


def test_category_and_fixed_campaigns_count_and_the_best_one_wins(client, catalog):
    # 10% off social (Premium $27, Likes $9) and $25 off Premium: Premium shows $5.
    CampaignFactory(categories=[catalog["premium"].category], percent=Decimal("10"))
    CampaignFactory(
        products=[catalog["premium"]], kind=Campaign.Kind.FIXED, percent=None, amount=2_500
    )
    assert titles(client.get(URL, {"sort": "price_asc"})) == [
        "Premium Followers",
        "Quick Likes",
        "Video Views",
    ]


def test_campaigns_that_do_not_run_do_not_move_a_product(client, catalog):
    now = timezone.now()
    premium = [catalog["premium"]]
    CampaignFactory(products=premium, percent=Decimal("90"), is_active=False)
    CampaignFactory(
        products=premium,
        percent=Decimal("90"),
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    CampaignFactory(
        products=premium,
        percent=Decimal("90"),
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=1),
    )
    # A fixed amount in another currency does not apply to a USD price.
    CampaignFactory(
        products=premium, kind=Campaign.Kind.FIXED, percent=None, amount=2_900, currency="EUR"
    )
    body = client.get(URL, {"sort": "price_asc"})
    assert titles(body) == ["Quick Likes", "Video Views", "Premium Followers"]
    assert "<del>" not in body.content.decode()


def test_the_sort_uses_exactly_the_sale_price_the_cards_show():
    """Half-cent cases round the same way in the query as in pricing (SQLite's decimals are
    floating point), so neighbours a cent apart never swap."""
    category = CategoryFactory(slug="edge", name="Edge")
    amounts = [1_000, 1_234, 4_999, 200, 1, 7, 99_999, 12_345]
    percents = ["12.35", "0.05", "33.33", "50", "99.99", "2.5", "17.5", "66.67"]
    for n, amount in enumerate(amounts):
        product = ProductFactory(title=f"Edge {n}", category=category, base_amount=amount)
        CampaignFactory(products=[product], percent=Decimal(percents[n]))
    CampaignFactory(
        categories=[category], kind=Campaign.Kind.FIXED, percent=None, amount=5, currency="USD"
    )
    at = timezone.now()
    rules = campaign_rules(at=at)
    rows = list(product_list(sort="price_asc", at=at))
    shown = [listing_price(product=p, campaigns=rules, at=at)[1].amount for p in rows]
    assert [p.shown_amount for p in rows] == shown
    assert shown == sorted(shown)


def test_a_price_sorted_page_is_one_product_query_however_many_campaigns(
    catalog, django_assert_num_queries
):
    for product in catalog.values():
        CampaignFactory(products=[product], percent=Decimal("5"))
        CampaignFactory(categories=[product.category], percent=Decimal("7"))
    with django_assert_num_queries(2):  # the page's products, then the campaigns for its cards
        page = catalog_page(query="", category="", sort="price_desc", page=1, version=0)
    assert [card.product.title for card in page.cards] == [
        "Premium Followers",
        "Video Views",
        "Quick Likes",
    ]
