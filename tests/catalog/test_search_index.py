"""The search index follows every edit at once: titles, new and deactivated products,
categories and synonyms show in the next search."""

import re

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Product, ProductSearchDocument, SearchEvent, SearchSynonym
from catalog.search.index import search_index_rebuild
from catalog.selectors import SEARCH_LISTED_MAX, search_zero_results

from .factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/catalog/"


def found(client, query) -> list[str]:
    body = client.get(URL, {"q": query}).content.decode()
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', body)


def bulk_load(title: str, count: int):
    """`count` products titled "<title> <n>" written without signals, as a bulk load is
    (unindexed until the rebuild); returns their category."""
    category = CategoryFactory()
    Product.objects.bulk_create(
        Product(
            slug=f"bulk-{n}",
            title=f"{title} {n}",
            summary="Saves",
            category=category,
            platform="tiktok",
            base_amount=100,
            position=n + 1,
        )
        for n in range(count)
    )
    return category


@pytest.fixture
def product():
    return ProductFactory(title="Pinterest Pins", summary="Repins for boards")


def test_a_renamed_product_is_found_by_its_new_title_only(client, product):
    assert found(client, "pinterest") == ["Pinterest Pins"]
    product.title = "Threads Followers"
    product.save()
    assert found(client, "threads") == ["Threads Followers"]
    assert found(client, "pinterest") == []


def test_a_new_product_is_found_at_once(client, product):
    assert found(client, "podcast") == []
    ProductFactory(title="Podcast Downloads", summary="Listeners for new episodes")
    assert found(client, "podcast") == ["Podcast Downloads"]


def test_a_deactivated_product_is_not_found(client, product):
    product.is_active = False
    product.save()
    assert found(client, "pinterest") == []


def test_a_renamed_category_finds_its_products(client):
    category = CategoryFactory(slug="boards", name="Boards")
    ProductFactory(title="Pinterest Pins", summary="Repins", category=category)
    assert found(client, "moodboards") == []
    category.name = "Moodboards"
    category.save()
    assert found(client, "moodboards") == ["Pinterest Pins"]


def test_a_new_synonym_is_used_by_the_next_search(client, product):
    found(client, "pinboard")  # the listing of this query is now cached
    assert found(client, "pinboard") == []
    SearchSynonym.objects.create(word="pinboard", means="pinterest")
    assert found(client, "pinboard") == ["Pinterest Pins"]


def test_a_synonym_is_one_word(product):
    with pytest.raises(ValidationError):
        SearchSynonym(word="two words", means="pinterest").full_clean()
    with pytest.raises(ValidationError):
        SearchSynonym(word="pins", means="!!!").full_clean()
    synonym = SearchSynonym(word="PinBoard", means="pinterest")
    synonym.full_clean()
    assert synonym.word == "pinboard"


def test_a_deleted_product_leaves_no_document(client, product):
    product.delete()
    assert not ProductSearchDocument.objects.exists()
    assert found(client, "pinterest") == []


def test_the_rebuild_indexes_products_loaded_in_bulk(client):
    bulk_load("Bulk Saves", 3)
    assert found(client, "saves") == []
    seen = []
    assert search_index_rebuild(batch=2, progress=lambda done, total: seen.append(done)) == 3
    assert seen == [2, 3]
    assert sorted(found(client, "saves")) == ["Bulk Saves 0", "Bulk Saves 1", "Bulk Saves 2"]


def test_a_corrected_search_counts_as_zero_results_with_what_was_shown(client, product):
    assert found(client, "pinterest pnis") == ["Pinterest Pins"]
    event = SearchEvent.objects.get()
    assert (event.result_count, event.suggestion) == (0, "pinterest pins")
    [row] = search_zero_results()
    assert row == {"query": "pinterest pnis", "searches": 1, "suggested": "pinterest pins"}
    found(client, "pinterest")
    assert SearchEvent.objects.filter(result_count=1, suggestion="").count() == 1


def test_a_deactivated_product_leaves_the_index_and_comes_back_when_reactivated(client, product):
    product.is_active = False
    product.save()
    assert not ProductSearchDocument.objects.exists()
    product.is_active = True
    product.save()
    assert found(client, "pinterest") == ["Pinterest Pins"]


def test_a_search_matching_more_than_it_lists_says_so_and_pages_stop_at_the_last_listed(
    client, settings
):
    settings.CATALOG_PAGE_SIZE = 100
    category = bulk_load("Story Saves", SEARCH_LISTED_MAX + 20)
    search_index_rebuild()
    # A title holding the words in order comes before one holding them apart.
    ProductFactory(title="Saves for Story Highlights", category=category, position=0)

    body = client.get(URL, {"q": "story saves"}).content.decode()
    assert f"More than {SEARCH_LISTED_MAX} services" in body
    last = -(-SEARCH_LISTED_MAX // 100)
    assert f"Page 1 of {last}" in body
    first = found(client, "story saves")
    assert first[0] == "Story Saves 0" and "Saves for Story Highlights" not in first

    beyond = client.get(URL, {"q": "story saves", "page": last + 3}).content.decode()
    assert f"Page {last} of {last}" in beyond
    assert client.get(URL, {"q": "saves 7"}).content.decode().count("card-title") >= 1
