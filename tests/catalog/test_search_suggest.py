"""Search-as-you-type: services for what is typed so far, and a record of what was
suggested and which suggestion was chosen."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from catalog.models import Product, SearchEvent, SuggestionEvent

from .test_query_budgets import grow_catalog
from .test_search_relevance import demo_catalog  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

URL = "/catalog/suggest/"


def suggest(client, query) -> list[str]:
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    return [s["title"] for s in response.json()["suggestions"]]


@pytest.mark.usefixtures("demo_catalog")
def test_an_unfinished_word_suggests_the_services_it_starts(client):
    titled = {"Instagram Growth", "Instagram Post Likes", "Instagram Reels Views"}
    assert titled | {"Instagram Account Audit"} == set(suggest(client, "insta")[:4])
    assert set(suggest(client, "youtube sub")) == {"YouTube Subscribers"}
    assert "TikTok LIVE Boost" in suggest(client, "tiktok li")


@pytest.mark.usefixtures("demo_catalog")
def test_a_typo_in_a_finished_word_is_corrected(client):
    assert "YouTube Subscribers" in suggest(client, "youtub subs")


@pytest.mark.usefixtures("demo_catalog")
@pytest.mark.parametrize("query", ["", "i", "   ", "!!!", '"*', "\x00\x00", "x" * 5000])
def test_short_or_hostile_input_suggests_nothing_and_never_fails(client, query):
    assert suggest(client, query) == []


@pytest.mark.usefixtures("demo_catalog")
def test_what_was_suggested_is_recorded_and_not_counted_as_a_search(client):
    suggest(client, "insta")
    event = SuggestionEvent.objects.get()
    assert event.query == "insta" and event.chosen is None
    titled = Product.objects.filter(title__startswith="Instagram").values_list("pk", flat=True)
    assert set(titled) <= set(event.suggested)
    assert not SearchEvent.objects.exists()


@pytest.mark.usefixtures("demo_catalog")
def test_choosing_a_suggestion_records_it_and_opens_the_product_page(client):
    [first, *_] = client.get(URL, {"q": "insta"}).json()["suggestions"]
    response = client.get(first["href"])
    assert response.status_code == 302 and response["Location"] == first["url"]
    chosen = SuggestionEvent.objects.get(chosen__isnull=False)
    assert chosen.chosen.title == first["title"]
    assert chosen.position == 1 and chosen.query == "insta"
    assert parse_qs(urlsplit(first["href"]).query)["q"] == ["insta"]


@pytest.mark.usefixtures("demo_catalog")
@pytest.mark.parametrize(
    "params",
    [
        {"q": "insta", "product": "no-such-service", "position": "1"},
        {"q": "insta", "product": "instagram-growth", "position": "0"},
        {"q": "insta", "product": "../../admin", "position": "1"},
        {"q": "insta", "product": "instagram-growth"},
        {},
    ],
)
def test_a_bad_choice_is_a_404_not_a_redirect_elsewhere(client, params):
    assert client.get("/catalog/suggest/choose/", params).status_code == 404
    assert not SuggestionEvent.objects.filter(chosen__isnull=False).exists()


def test_suggestions_cost_the_same_queries_whatever_the_catalog_size(
    client, django_assert_max_num_queries
):
    grow_catalog(50)
    with django_assert_max_num_queries(5) as small:
        suggest(client, "bulk foll")
    grow_catalog(2_000)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert suggest(client, "bulk foll")


def test_a_new_product_is_suggested_at_once(client):
    grow_catalog(3)
    assert suggest(client, "podc") == []
    product = Product.objects.first()
    product.title = "Podcast Listeners"
    product.save()
    assert suggest(client, "podc") == ["Podcast Listeners"]
