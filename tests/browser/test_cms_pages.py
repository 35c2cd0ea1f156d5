"""The seeded CMS content in a real browser: text merged into the storefront, images that load."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def images_loaded(page, selector: str) -> list[dict]:
    """Scroll every image into view (they lazy-load) and wait until each has finished."""
    images = page.locator(selector)
    assert images.count() > 0, f"no images match {selector}"
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        "s => [...document.querySelectorAll(s)].every(img => img.complete)", arg=selector
    )
    return page.evaluate(
        """s => [...document.querySelectorAll(s)].map(img => ({
            src: img.currentSrc, width: img.naturalWidth, height: img.naturalHeight}))""",
        selector,
    )


def assert_all_loaded(images: list[dict]):
    broken = [img["src"] for img in images if img["width"] == 0]
    assert not broken, f"images that did not load: {broken}"
    assert all("/media/images/" in img["src"] for img in images)


def test_seeded_home_page(page, seeded):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Growth services you can configure, pay for and watch happen."
    )
    expect(page.get_by_role("heading", name="Featured services")).to_be_visible()
    expect(page.locator(".product-card")).to_have_count(6)
    expect(page.get_by_role("heading", name="SMPLAT in numbers")).to_be_visible()
    expect(page.get_by_text("38M")).to_be_visible()
    expect(page.get_by_text("Maya Rossi")).to_be_visible()
    expect(page.get_by_role("link", name="Browse services").first).to_be_visible()

    images = images_loaded(page, "main img")
    assert_all_loaded(images)
    hero = images_loaded(page, "img.hero-image")
    assert (hero[0]["width"], hero[0]["height"]) == (560, 400)


@pytest.mark.parametrize(
    ("slug", "tagline", "hero", "faq"),
    [
        (
            "instagram-growth",
            "Targeted, organic-looking Instagram growth with a 30-day refill guarantee.",
            "Real audiences for real brands",
            "Is it safe for my account?",
        ),
        (
            "tiktok-growth",
            "Followers and For You momentum for creators and brands on TikTok.",
            "Get your TikTok seen",
            "Do you need my login?",
        ),
    ],
)
def test_seeded_product_page(page, seeded, slug, tagline, hero, faq):
    page.goto(f"/products/{slug}/")
    expect(page.locator(".product-info p.lead")).to_have_text(tagline)
    expect(page.get_by_role("heading", name=hero)).to_be_visible()
    expect(page.get_by_role("heading", name="Configure")).to_be_visible()
    expect(page.get_by_text("How it works")).to_have_count(0)

    # FAQs open without JavaScript tricks: <details>/<summary>.
    question = page.locator(".block-faqs summary", has_text=faq)
    question.scroll_into_view_if_needed()
    question.click()
    expect(page.locator(".block-faqs details[open] .prose")).to_be_visible()

    expect(page.locator(".block-gallery figure")).to_have_count(3)
    images = images_loaded(page, ".marketing img")
    assert len(images) == 4  # hero + three gallery pictures
    assert_all_loaded(images)
    assert {(img["width"], img["height"]) for img in images} == {(720, 480), (480, 320)}


def test_marketing_page_address_leads_to_the_product_page(page, seeded):
    page.goto("/product-instagram-growth/")
    expect(page).to_have_url(re.compile(r"/products/instagram-growth/$"))
    expect(page.locator(".product-info p.lead")).to_contain_text("30-day refill guarantee")
