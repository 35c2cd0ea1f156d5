"""Each page's title names the page once, then the brand once."""

import re

import pytest

from tests.catalog.factories import ProductFactory
from tests.cms.factories import home_page

pytestmark = pytest.mark.django_db


def title(response) -> str:
    assert response.status_code == 200
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1].strip()


def test_the_home_page_says_the_brand_once(client):
    assert title(client.get("/")) == "Social growth, delivered · SMPLAT"


def test_the_wagtail_home_page_says_the_brand_once_whatever_its_page_title(client):
    home_page(hero_heading="Growth you can watch.")
    assert title(client.get("/")) == "Growth you can watch. · SMPLAT"


def test_an_seo_title_from_the_editor_names_the_home_page(client):
    home_page(seo_title="Grow on Instagram and TikTok")
    assert title(client.get("/")) == "Grow on Instagram and TikTok · SMPLAT"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/catalog/", "Services · SMPLAT"),
        ("/catalog/?q=reels", "“reels” · Services · SMPLAT"),
        ("/products/boost/", "Insta Boost · SMPLAT"),
        ("/cart/", "Your cart · SMPLAT"),
        ("/accounts/login/", "Sign in · SMPLAT"),
        ("/terms/", "Terms of service · SMPLAT"),
    ],
)
def test_storefront_pages_name_themselves_then_the_brand(client, url, expected):
    ProductFactory(slug="boost", title="Insta Boost")
    assert title(client.get(url)) == expected
