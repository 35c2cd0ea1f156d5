"""Shopper queries against the demo catalog: the service meant is among the first three."""

import re

import pytest

from catalog import demo_data
from catalog.models import Category, Product
from catalog.services import synonyms_seed

pytestmark = pytest.mark.django_db

URL = "/catalog/"

# (what a shopper types, the service they mean)
QUERIES = [
    ("instagram followers", "Instagram Growth"),
    ("Instagram growth", "Instagram Growth"),
    ("instagram growht", "Instagram Growth"),
    ("INSTAGRAM FOLLOWER", "Instagram Growth"),
    ("instagarm likes", "Instagram Post Likes"),
    ("ig likes", "Instagram Post Likes"),
    ("likes for my instagram posts", "Instagram Post Likes"),
    ("insta reels", "Instagram Reels Views"),
    ("views reels", "Instagram Reels Views"),
    ("reel view", "Instagram Reels Views"),
    ("tiktok fans", "TikTok Growth"),
    ("tiktok followers", "TikTok Growth"),
    ("tik tok video views", "TikTok Video Views"),
    ("TIKTOK LIVE", "TikTok LIVE Boost"),
    ("live stream viewers tiktok", "TikTok LIVE Boost"),
    ("youtube subs", "YouTube Subscribers"),
    ("yt subscribers", "YouTube Subscribers"),
    ("youtube subscriber", "YouTube Subscribers"),
    ("subscribers for my youtube channel", "YouTube Subscribers"),
    ("youtub subscribrs", "YouTube Subscribers"),
    ("watch hours", "YouTube Watch Time"),
    ("youtube watch time", "YouTube Watch Time"),
    ("content calendar", "Content Calendar Subscription"),
    ("content calender", "Content Calendar Subscription"),
    ("instagram account audit", "Instagram Account Audit"),
    ("audit of my instagram", "Instagram Account Audit"),
    ("analytics reports", "Growth Analytics Reporting"),
    ("influencer shoutout", "Influencer Shoutouts"),
    ("shout outs", "Influencer Shoutouts"),
    ("reels production", "Reels Production Pack"),
    ("short videos made for me", "Reels Production Pack"),
    ("get followers fast", "Instagram Growth"),
]


def titles(response) -> list[str]:
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def demo_catalog():
    synonyms_seed()  # a transactional test before this one may have flushed the migration's
    categories = {
        slug: Category.objects.create(slug=slug, name=name, description=text, position=n)
        for n, (slug, name, text) in enumerate(demo_data.CATEGORIES)
    }
    for position, spec in enumerate(demo_data.PRODUCTS):
        Product.objects.create(
            slug=spec["slug"],
            title=spec["title"],
            summary=spec["summary"],
            description=spec["description"],
            category=categories[spec["category"]],
            platform=spec["platform"],
            base_amount=spec["base_amount"],
            billing_modes=spec.get("billing_modes", "one_off"),
            subscription_amount=spec.get("subscription_amount"),
            position=position,
        )


@pytest.mark.parametrize(("query", "meant"), QUERIES)
def test_the_service_meant_is_in_the_first_three(client, demo_catalog, query, meant):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert meant in titles(response)[:3], titles(response)


def test_a_typo_shows_what_was_searched_instead(client, demo_catalog):
    body = client.get(URL, {"q": "instagram growht"}).content.decode()
    assert "as typed. Showing results for" in body
    assert '<a href="?q=instagram%20growth"><strong>instagram growth</strong></a>' in body


def test_a_query_found_as_typed_shows_no_correction(client, demo_catalog):
    assert "Showing results for" not in client.get(URL, {"q": "instagram growth"}).content.decode()


def test_the_exact_title_comes_first(client, demo_catalog):
    assert titles(client.get(URL, {"q": "tiktok growth"}))[0] == "TikTok Growth"
    assert titles(client.get(URL, {"q": "growth tiktok"}))[0] == "TikTok Growth"


def test_nothing_found_still_answers_with_a_way_out(client, demo_catalog):
    response = client.get(URL, {"q": "podcast downloads"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "No services match" in body and "Popular services" in body


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "followers\x00likes",
        "\x00",
        "!!! ??? ...",
        '"',
        '"followers',
        "*",
        "follow*",
        "followers NEAR likes",
        "NEAR(followers likes)",
        "followers OR likes",
        "followers AND NOT likes",
        "title:followers",
        "^followers",
        "followers & likes | !views",
        "followers <-> likes",
        "'; DROP TABLE catalog_product; --",
        "(((",
        "ｆｏｌｌｏｗｅｒｓ",  # full-width letters
        "🚀 followers",
    ],
)
def test_hostile_queries_never_fail(client, demo_catalog, query):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert Product.objects.count() == len(demo_data.PRODUCTS)


def test_full_width_letters_find_the_same_as_plain_ones(client, demo_catalog):
    assert titles(client.get(URL, {"q": "ｆｏｌｌｏｗｅｒｓ"})) == titles(
        client.get(URL, {"q": "followers"})
    )
