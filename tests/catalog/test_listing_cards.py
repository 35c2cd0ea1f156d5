"""What a listing card's price says, read as text (what a screen reader announces)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from .factories import CampaignFactory, ProductFactory

pytestmark = pytest.mark.django_db


def card_prices(client) -> dict[str, str]:
    """Card title → the price paragraph's text, tags removed and spaces collapsed."""
    body = client.get("/catalog/").content.decode()
    cards = re.findall(
        r'class="card-title"><a [^>]+>([^<]+)</a>.*?<p class="card-price">(.*?)</p>', body, re.S
    )
    return {title: " ".join(re.sub(r"<[^>]+>", " ", price).split()) for title, price in cards}


def test_a_card_says_price_from_once(client):
    ProductFactory(title="Insta Boost", base_amount=4_900)
    assert card_prices(client) == {"Insta Boost": "Price from $49.00"}


def test_a_discounted_card_keeps_from_and_says_which_price_is_which(client):
    product = ProductFactory(title="Insta Boost", base_amount=4_900)
    CampaignFactory(products=[product], percent=Decimal("20"), badge="Spring sale")
    assert card_prices(client) == {"Insta Boost": "Spring sale Price from was $49.00 now $39.20"}


def test_a_monthly_card_says_per_month(client):
    ProductFactory(
        title="Reports", base_amount=0, billing_modes="subscription", subscription_amount=3_900
    )
    assert card_prices(client) == {"Reports": "Price from $39.00 /month"}


def test_cards_shared_by_different_searches_show_an_edit_in_both(client):
    """Cards are cached per product, so two searches share them; an edit shows in each."""
    product = ProductFactory(title="Insta Boost", summary="Followers for Instagram")
    assert "Insta Boost" in client.get("/catalog/?q=boost").content.decode()
    assert "Insta Boost" in client.get("/catalog/?q=followers").content.decode()
    product.title = "Insta Rocket Boost"
    product.save()
    for query in ("boost", "followers", "rocket"):
        page = client.get(f"/catalog/?q={query}").content.decode()
        assert "Insta Rocket Boost" in page, query


def test_a_cached_card_shows_a_campaign_the_moment_it_starts(client, settings, monkeypatch):
    """A campaign's window opens without an edit: the card's cache key holds the price."""
    product = ProductFactory(title="Insta Boost", base_amount=4_900)
    start = timezone.now() + timedelta(minutes=5)
    CampaignFactory(products=[product], percent=Decimal("20"), badge="Flash", starts_at=start)
    settings.CATALOG_CACHE_SECONDS = 0  # the listing around the cards is not what is tested
    assert card_prices(client) == {"Insta Boost": "Price from $49.00"}
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=1))
    assert card_prices(client) == {"Insta Boost": "Flash Price from was $49.00 now $39.20"}
