import re

import pytest
from django.urls import reverse

from catalog.models import Product, SearchEvent

from .factories import CampaignFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/catalog/"


def titles(response) -> list[str]:
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def catalog():
    social = CategoryFactory(slug="social", name="Social")
    video = CategoryFactory(slug="video", name="Video")
    ProductFactory(
        title="Instagram Followers",
        summary="Real followers",
        category=social,
        base_amount=3000,
        position=2,
    )
    ProductFactory(
        title="TikTok Views",
        summary="Views for videos",
        category=video,
        base_amount=1000,
        position=1,
    )
    ProductFactory(
        title="YouTube Subscribers",
        summary="Grow your channel",
        category=video,
        base_amount=5000,
        position=3,
    )
    ProductFactory(title="Hidden Service", category=social, is_active=False)


def test_listing_shows_active_products_in_featured_order(client, catalog):
    response = client.get(URL)
    assert response.status_code == 200
    assert titles(response) == ["TikTok Views", "Instagram Followers", "YouTube Subscribers"]
    assert "Hidden Service" not in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["TikTok Views", "Instagram Followers", "YouTube Subscribers"]),
        ("price_desc", ["YouTube Subscribers", "Instagram Followers", "TikTok Views"]),
        ("title_asc", ["Instagram Followers", "TikTok Views", "YouTube Subscribers"]),
        ("title_desc", ["YouTube Subscribers", "TikTok Views", "Instagram Followers"]),
    ],
)
def test_sorts(client, catalog, sort, expected):
    assert titles(client.get(URL, {"sort": sort})) == expected


def test_price_sort_uses_monthly_price_for_subscription_only_products(client, catalog):
    ProductFactory(
        title="Monthly Reports",
        base_amount=0,
        billing_modes="subscription",
        subscription_amount=4000,
    )
    assert titles(client.get(URL, {"sort": "price_asc"}))[2] == "Monthly Reports"


def test_category_filter(client, catalog):
    assert titles(client.get(URL, {"category": "video"})) == ["TikTok Views", "YouTube Subscribers"]


def test_search_matches_every_term_across_title_summary_and_category(client, catalog):
    assert titles(client.get(URL, {"q": "followers"})) == ["Instagram Followers"]
    assert titles(client.get(URL, {"q": "  VIEWS   video "})) == ["TikTok Views"]
    assert titles(client.get(URL, {"q": "grow channel"})) == ["YouTube Subscribers"]


def test_search_with_category_and_sort_combined(client, catalog):
    response = client.get(URL, {"q": "video", "category": "video", "sort": "price_desc"})
    assert titles(response) == ["YouTube Subscribers", "TikTok Views"]


def test_empty_results_show_suggestions(client, catalog):
    response = client.get(URL, {"q": "podcast downloads"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "No services match" in body
    assert 'href="?category=social"' in body  # a way out
    assert "TikTok Views" in body  # popular services suggested


def test_pagination(client, settings):
    settings.CATALOG_PAGE_SIZE = 5
    category = CategoryFactory()
    for i in range(12):
        ProductFactory(title=f"Service {i:02d}", category=category, position=i)
    first = client.get(URL)
    third = client.get(URL, {"page": 3})
    assert titles(first) == [f"Service {i:02d}" for i in range(5)]
    assert titles(third) == ["Service 10", "Service 11"]
    assert "Page 3 of 3" in third.content.decode()
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' not in first.content.decode()


def test_page_past_the_end_shows_last_page(client, settings):
    settings.CATALOG_PAGE_SIZE = 5
    for i in range(7):
        ProductFactory(title=f"Service {i:02d}", position=i)
    assert titles(client.get(URL, {"page": 99})) == ["Service 05", "Service 06"]


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"page": "abc"}, "showing the first page"),
        ({"page": "-3"}, "showing the first page"),
        ({"page": "9" * 50}, "showing the first page"),
        ({"sort": "bogus"}, "Unknown sort order"),
        ({"sort": "price_asc; DROP TABLE"}, "Unknown sort order"),
        ({"category": "no-such-category"}, "category does not exist"),
        ({"category": "<script>"}, "category does not exist"),
        ({"q": "x" * 10_240}, "limited to 200 characters"),
        ({"q": "null\x00byte"}, "limited to 200 characters"),
    ],
)
def test_bad_parameters_never_fail_and_explain_the_fallback(client, catalog, params, notice):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert notice in response.content.decode()
    assert len(titles(response)) == 3


def test_repeated_parameters_and_unicode_do_not_fail(client, catalog):
    assert client.get(URL + "?sort=title_asc&sort=bogus&page=1&page=x").status_code == 200
    assert client.get(URL, {"q": "ünïcødé 🚀 %_\\"}).status_code == 200


def test_search_is_recorded_once_per_search(client, catalog):
    client.get(URL, {"q": "  Followers "})
    client.get(URL, {"q": "nothing here"})
    client.get(URL, {"q": "followers", "page": 2})  # paging is not a new search
    client.get(URL)  # browsing is not a search
    events = list(SearchEvent.objects.order_by("created_at").values_list("query", "result_count"))
    assert events == [("followers", 1), ("nothing here", 0)]


def test_trending_searches_are_shown_on_the_catalog_page(client, catalog):
    for _ in range(3):
        client.get(URL, {"q": "followers"})
    from django.core.cache import cache

    cache.clear()  # trending is cached for a minute
    body = client.get(URL).content.decode()
    assert "Trending searches" in body
    assert "?q=followers" in body


def test_telemetry_failure_does_not_break_the_page(client, catalog, monkeypatch):
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(SearchEvent.objects, "bulk_create", broken)
    response = client.get(URL, {"q": "followers"})
    assert response.status_code == 200
    assert titles(response) == ["Instagram Followers"]


def test_campaign_price_shown_on_listing(client, catalog):
    product = Product.objects.get(title="TikTok Views")
    CampaignFactory(products=[product], percent=20, badge="Spring sale")
    body = client.get(URL).content.decode()
    assert "Spring sale" in body
    assert (
        '<del><span class="visually-hidden">was </span>$10.00</del> '
        '<strong><span class="visually-hidden">now </span>$8.00</strong>'
    ) in body


def test_catalog_change_invalidates_cached_listing(client, catalog):
    assert "Brand New" not in client.get(URL).content.decode()
    ProductFactory(title="Brand New", position=0)
    assert titles(client.get(URL))[0] == "Brand New"


def test_home_page_links_to_catalog(client, catalog):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'href="/catalog/"' in response.content.decode()


def test_stateless_visitors_share_a_cached_page_but_every_search_is_recorded(client, catalog):
    first = client.get(URL, {"q": "followers"})
    second = client.get(URL, {"q": "followers"})
    assert first.content == second.content
    assert SearchEvent.objects.filter(query="followers").count() == 2


def test_visitors_with_a_session_never_get_a_shared_page(client, catalog):
    from django.contrib.auth import get_user_model

    client.get(URL)  # fills the shared cache
    client.force_login(get_user_model().objects.create_user("shopper", password="pw-123456"))
    assert "Sign out" in client.get(URL).content.decode()


@pytest.mark.django_db(transaction=True)
def test_buffered_telemetry_is_written_in_batches_off_the_request(client, catalog, settings):
    from catalog.telemetry import search_buffer

    settings.TELEMETRY_FLUSH_SECONDS = 0.05
    for query in ("followers", "views", "nothing at all"):
        client.get(URL, {"q": query})
    import time

    deadline = time.monotonic() + 5
    while SearchEvent.objects.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(SearchEvent.objects.values_list("query", "result_count")) == [
        ("followers", 1),
        ("nothing at all", 0),
        ("views", 1),
    ]
    assert search_buffer.flush() == 0


def test_staff_selectors_report_trending_and_zero_result_searches(client, catalog):
    from catalog.selectors import search_trending, search_zero_results

    for query in ("followers", "followers", "views", "podcast", "podcast", "podcast", "zzz"):
        client.get(URL, {"q": query})
    assert search_trending() == [
        {"query": "followers", "searches": 2},
        {"query": "views", "searches": 1},
    ]
    assert search_zero_results() == [
        {"query": "podcast", "searches": 3, "suggested": ""},
        {"query": "zzz", "searches": 1, "suggested": ""},
    ]
