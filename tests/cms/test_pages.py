"""Marketing pages merged into the storefront, and every way back to the catalog-only page."""

import io
import re

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from wagtail.images.models import Image
from wagtail.models import Page

from catalog.models import Product
from cms.models import HomePage, ProductMarketingPage
from tests.catalog.factories import ProductFactory, configurable_product

from .factories import home_page, marketing_page

pytestmark = pytest.mark.django_db

RENDITION_SRC = re.compile(r"^/media/images/[\w.-]+\.fill-\d+x\d+\.format-webp\.webp$")


@pytest.fixture
def home():
    return home_page()


@pytest.fixture
def product():
    return configurable_product(
        slug="insta", title="Insta Boost", summary="Catalog summary of Insta Boost."
    )


def product_page(client, slug="insta") -> BeautifulSoup:
    response = client.get(f"/products/{slug}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def lead(soup) -> str:
    return soup.select_one(".product-info p.lead").get_text(strip=True)


def texts(soup, selector) -> list[str]:
    return [re.sub(r"\s+", " ", el.get_text()).strip() for el in soup.select(selector)]


def assert_catalog_only(soup, product):
    assert lead(soup) == product.summary
    assert "How it works" in texts(soup, ".product-info h2")
    assert soup.select(".marketing") == []
    assert soup.select_one("#configurator") is not None


# Page tree rules


def test_home_page_can_be_created_under_the_root():
    root = Page.get_first_root_node()
    assert HomePage.can_exist_under(root)
    assert HomePage.can_create_at(root)


def test_home_page_not_under_cms_pages(home, product):
    page = marketing_page(product, parent=home)
    assert HomePage not in HomePage.allowed_subpage_models()
    assert HomePage not in ProductMarketingPage.allowed_subpage_models()
    assert not HomePage.can_exist_under(home)
    assert not HomePage.can_exist_under(page)


def test_home_page_not_under_a_plain_page_below_the_root():
    placeholder = Page.objects.get(depth=2)  # Wagtail's installer page, a plain Page
    assert not HomePage.can_exist_under(placeholder)
    assert not HomePage.can_create_at(placeholder)


def test_only_one_home_page(home):
    assert HomePage.max_count == 1
    assert not HomePage.can_create_at(Page.get_first_root_node())


def test_marketing_pages_only_under_the_home_page(home):
    assert ProductMarketingPage.allowed_parent_page_models() == [HomePage]
    assert ProductMarketingPage.can_create_at(home)
    assert not ProductMarketingPage.can_create_at(Page.get_first_root_node())
    assert HomePage.allowed_subpage_models() == [ProductMarketingPage]


def test_nothing_under_a_marketing_page(home, product):
    page = marketing_page(product, parent=home)
    assert ProductMarketingPage.allowed_subpage_models() == []
    assert not ProductMarketingPage.can_create_at(page)
    assert not HomePage.can_create_at(page)
    assert not ProductMarketingPage.creatable_subpage_models()


def test_slug_follows_the_product_whatever_the_title(home, product):
    page = marketing_page(product, parent=home, title="Anything at all")
    assert page.slug == "product-insta"
    assert page.url == "/product-insta/"


# Merge into /products/<slug>/


def test_published_marketing_page_is_merged_into_the_product_page(client, home, product):
    marketing_page(product, parent=home, tagline="Organic growth with a refill guarantee.")
    soup = product_page(client)

    assert lead(soup) == "Organic growth with a refill guarantee."
    assert product.summary not in texts(soup, "p")
    assert "How it works" not in texts(soup, "h2")
    assert texts(soup, ".block-hero-heading") == ["Hero heading"]
    assert "Hero text" in texts(soup, ".block-hero p.lead")
    assert texts(soup, ".block-metrics dd") == ["8,900+", "97%"]
    assert texts(soup, ".block-metrics dt") == ["accounts grown", "delivered on time"]
    assert texts(soup, ".block-testimonials blockquote") == [
        "“Steady growth, no spikes.”",
        "“Delivered as promised.”",
    ]
    assert texts(soup, ".block-faqs summary") == ["Question 1?", "Question 2?", "Question 3?"]
    assert "Answer number 2." in texts(soup, ".block-faqs .prose")
    assert texts(soup, ".block-rich-text h3") == ["What you get"]
    assert texts(soup, ".block-rich-text li") == ["Interest targeting"]
    # The configurator is still there, between the hero and the body.
    assert soup.select_one("#configurator") is not None


def test_merged_images_are_renditions(client, home, product):
    marketing_page(product, parent=home, gallery=3)
    soup = product_page(client)

    hero = soup.select(".block-hero img")
    gallery = soup.select(".block-gallery img")
    assert len(hero) == 1
    assert len(gallery) == 3
    for img in hero + gallery:
        assert RENDITION_SRC.match(img["src"]), img["src"]
        assert img.get("alt") is not None
    assert "fill-720x480" in hero[0]["src"]
    assert all("fill-480x320" in img["src"] for img in gallery)
    assert texts(soup, ".block-gallery figcaption") == ["Caption 1", "Caption 2", "Caption 3"]


def test_no_marketing_page_falls_back_to_the_catalog(client, home, product):
    assert_catalog_only(product_page(client), product)


def test_unpublished_marketing_page_falls_back(client, home, product):
    page = marketing_page(product, parent=home)
    assert lead(product_page(client)) == "Marketing tagline"

    page.unpublish()
    assert_catalog_only(product_page(client), product)


def test_page_published_after_the_product_page_was_seen_shows_at_once(client, home, product):
    assert_catalog_only(product_page(client), product)  # "no page" is now cached

    page = marketing_page(product, parent=home, publish=False)
    page.save_revision().publish()

    assert lead(product_page(client)) == "Marketing tagline"

    page.delete()
    assert_catalog_only(product_page(client), product)


def test_never_published_draft_falls_back(client, home, product):
    page = marketing_page(product, parent=home, publish=False)
    assert not page.live
    assert page.latest_revision is not None
    assert_catalog_only(product_page(client), product)


def test_newer_draft_is_not_shown_until_published(client, home, product):
    page = marketing_page(product, parent=home, tagline="Published tagline")
    assert lead(product_page(client)) == "Published tagline"

    page.tagline = "Draft tagline"
    page.body[0].value["heading"] = "Draft hero heading"
    revision = page.save_revision()
    soup = product_page(client)
    assert lead(soup) == "Published tagline"
    assert texts(soup, ".block-hero-heading") == ["Hero heading"]
    assert "Draft" not in soup.get_text()

    revision.publish()
    soup = product_page(client)
    assert lead(soup) == "Draft tagline"
    assert texts(soup, ".block-hero-heading") == ["Draft hero heading"]


def test_other_products_keep_the_catalog_page(client, home, product):
    marketing_page(product, parent=home)
    other = ProductFactory(slug="tok", summary="The other summary.")
    assert_catalog_only(product_page(client, "tok"), other)


def test_marketing_page_url_redirects_to_the_product_page(client, home, product):
    page = marketing_page(product, parent=home)
    response = client.get(page.url)
    assert page.url == "/product-insta/"
    assert response.status_code == 302
    assert response["Location"] == "/products/insta/"


# Home page


def test_without_a_home_page_the_catalog_home_renders(client):
    ProductFactory(title="Visible service")
    response = client.get("/")
    soup = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 200
    assert soup.title.get_text(strip=True).startswith("Social growth, delivered")
    assert "Visible service" in texts(soup, ".product-card .card-title")
    assert soup.select(".block-metrics, .block-testimonials, .block-cta") == []


def test_unpublished_home_page_falls_back(client):
    home_page(publish=False, hero_heading="A draft home")
    response = client.get("/")
    assert response.status_code == 200
    assert b"A draft home" not in response.content
    assert b"Social growth, delivered" in response.content


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=io.StringIO())


def test_seeded_home_page(client, seeded):
    response = client.get("/")
    soup = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 200
    assert texts(soup, ".hero h1") == [
        "Growth services you can configure, pay for and watch happen."
    ]
    assert RENDITION_SRC.match(soup.select_one(".hero img.hero-image")["src"])
    featured = texts(soup, ".product-card .card-title")
    assert len(featured) == 6
    assert featured[:2] == [
        Product.objects.get(slug="instagram-growth").title,
        Product.objects.get(slug="tiktok-growth").title,
    ]
    assert texts(soup, ".block-metrics h2") == ["SMPLAT in numbers"]
    assert "38M" in texts(soup, ".block-metrics dd")
    assert "Maya Rossi, Owner, Caffè Rossi" in texts(soup, ".block-testimonials figcaption")
    assert texts(soup, ".block-cta h2") == ["Ready to grow?"]


def test_seeded_product_pages(client, seeded):
    soup = product_page(client, "instagram-growth")
    assert lead(soup).startswith("Targeted, organic-looking Instagram growth")
    assert texts(soup, ".block-hero-heading") == ["Real audiences for real brands"]
    assert len(soup.select(".block-gallery img")) == 3

    soup = product_page(client, "tiktok-growth")
    assert lead(soup).startswith("Followers and For You momentum")
    assert texts(soup, ".block-hero-heading") == ["Get your TikTok seen"]


def test_seed_cms_is_idempotent(seeded):
    def snapshot():
        return (
            HomePage.objects.count(),
            sorted(ProductMarketingPage.objects.values_list("slug", flat=True)),
            Image.objects.count(),
            HomePage.objects.get().featured.count(),
        )

    first = snapshot()
    call_command("seed_cms", stdout=io.StringIO())
    assert snapshot() == first
    assert first[:2] == (1, ["product-instagram-growth", "product-tiktok-growth"])
    assert all(page.live for page in ProductMarketingPage.objects.all())
    assert Page.objects.filter(depth=2).count() == 1  # Wagtail's placeholder is gone


def test_seed_cms_without_products_only_builds_the_home_page():
    call_command("seed_cms", stdout=io.StringIO())
    assert HomePage.objects.get().live
    assert not ProductMarketingPage.objects.exists()
