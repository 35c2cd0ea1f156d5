"""Editors change marketing copy through the real Wagtail admin forms."""

import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from wagtail.models import Site

from cms.models import ProductMarketingPage, SiteSettings
from tests.catalog.factories import configurable_product

from .factories import home_page, marketing_edit_form, marketing_page

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def make_user(username, **flags):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **flags
    )


@pytest.fixture
def editor(client):
    make_user("editor", is_staff=True, is_superuser=True)
    assert client.login(username="editor", password=PASSWORD)
    return client


@pytest.fixture
def page():
    product = configurable_product(slug="insta", title="Insta Boost", summary="Catalog summary.")
    return marketing_page(product, parent=home_page(), tagline="Original tagline")


def edit_url(page) -> str:
    return f"/cms-admin/pages/{page.pk}/edit/"


def storefront(client, slug="insta") -> BeautifulSoup:
    response = client.get(f"/products/{slug}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def lead(soup) -> str:
    return soup.select_one(".product-info p.lead").get_text(strip=True)


def hero_heading(soup) -> str:
    return soup.select_one(".block-hero-heading").get_text(strip=True)


def test_editor_sees_the_edit_form(editor, page):
    response = editor.get(edit_url(page))
    assert response.status_code == 200
    assert b"Original tagline" in response.content


def test_publish_from_the_admin_updates_the_storefront(editor, client, page):
    data = marketing_edit_form(page, tagline="Published tagline", hero_heading="Published hero")
    data["action-publish"] = "action-publish"
    response = editor.post(edit_url(page), data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == f"/cms-admin/pages/{page.get_parent().pk}/"  # the explorer

    page.refresh_from_db()
    assert page.live and not page.has_unpublished_changes
    assert page.slug == "product-insta"
    soup = storefront(editor)
    assert lead(soup) == "Published tagline"
    assert hero_heading(soup) == "Published hero"
    # The rest of the body survived the round trip through the form.
    assert len(soup.select(".block-gallery img")) == 3
    assert len(soup.select(".block-faqs summary")) == 3
    assert soup.select_one(".block-rich-text h3").get_text() == "What you get"


def test_publish_replaces_a_cached_rendering(editor, page):
    assert lead(storefront(editor)) == "Original tagline"  # now cached
    data = marketing_edit_form(page, tagline="Fresh tagline", hero_heading="Fresh hero")
    data["action-publish"] = "action-publish"
    assert editor.post(edit_url(page), data).status_code == 302
    soup = storefront(editor)
    assert (lead(soup), hero_heading(soup)) == ("Fresh tagline", "Fresh hero")


def test_save_draft_leaves_the_storefront_unchanged(editor, page):
    assert lead(storefront(editor)) == "Original tagline"
    data = marketing_edit_form(page, tagline="Draft tagline", hero_heading="Draft hero")
    response = editor.post(edit_url(page), data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == edit_url(page)

    page.refresh_from_db()
    assert page.has_unpublished_changes
    assert page.get_latest_revision_as_object().tagline == "Draft tagline"
    soup = storefront(editor)
    assert lead(soup) == "Original tagline"
    assert hero_heading(soup) == "Hero heading"


def test_preview_shows_the_draft_inside_the_storefront_page(editor, page):
    preview_url = f"{edit_url(page)}preview/"
    data = marketing_edit_form(page, tagline="Preview tagline", hero_heading="Preview hero")
    response = editor.post(preview_url, data)
    assert response.status_code == 200
    assert response.json() == {"is_valid": True, "is_available": True}

    response = editor.get(preview_url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert lead(soup) == "Preview tagline"
    assert hero_heading(soup) == "Preview hero"
    assert soup.select_one("h1#product-title").get_text() == "Insta Boost"
    assert soup.select_one("form#configurator") is not None  # the storefront layout
    assert len(soup.select(".block-gallery img")) == 3

    # Nothing was saved: visitors still see the published copy.
    assert ProductMarketingPage.objects.get(pk=page.pk).tagline == "Original tagline"
    soup = storefront(editor)
    assert (lead(soup), hero_heading(soup)) == ("Original tagline", "Hero heading")


def test_preview_is_not_cached_for_visitors(editor, client, page):
    preview_url = f"{edit_url(page)}preview/"
    data = marketing_edit_form(page, tagline="Preview tagline", hero_heading="Preview hero")
    editor.post(preview_url, data)
    assert editor.get(preview_url).status_code == 200
    editor.logout()
    soup = storefront(client)
    assert (lead(soup), hero_heading(soup)) == ("Original tagline", "Hero heading")


def assert_refused(response):
    if response.status_code == 302:
        assert re.match(r"^/cms-admin/login/\?next=", response["Location"]), response["Location"]
    else:
        assert response.status_code == 403


def attempt_publish(client, page):
    data = marketing_edit_form(page, tagline="Hacked tagline", hero_heading="Hacked hero")
    data["action-publish"] = "action-publish"
    return client.post(edit_url(page), data)


def assert_not_edited(client, page):
    page.refresh_from_db()
    assert page.tagline == "Original tagline"
    assert page.get_latest_revision_as_object().tagline == "Original tagline"
    assert lead(storefront(client)) == "Original tagline"


def test_anonymous_visitor_cannot_reach_the_admin(client, page):
    assert_refused(client.get("/cms-admin/"))
    assert_refused(client.get(edit_url(page)))
    assert_refused(attempt_publish(client, page))
    assert_not_edited(client, page)


def test_client_account_cannot_reach_the_admin(client, page):
    make_user("shopper")
    assert client.login(username="shopper", password=PASSWORD)
    assert_refused(client.get("/cms-admin/"))
    assert_refused(client.get(edit_url(page)))
    assert_refused(attempt_publish(client, page))
    assert_not_edited(client, page)


def test_staff_without_wagtail_access_is_refused(client, page):
    make_user("clerk", is_staff=True)  # may use Django's /admin/, not the CMS
    assert client.login(username="clerk", password=PASSWORD)
    assert_refused(client.get("/cms-admin/"))
    assert_refused(client.get(edit_url(page)))
    assert_refused(attempt_publish(client, page))
    assert_not_edited(client, page)


def test_cms_access_without_page_permissions_cannot_edit(client, page):
    user = make_user("viewer", is_staff=True)
    group = Group.objects.create(name="CMS readers")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    assert client.login(username="viewer", password=PASSWORD)
    assert client.get("/cms-admin/").status_code == 200
    response = client.get(edit_url(page))
    assert response.status_code in (302, 403)
    response = attempt_publish(client, page)
    assert response.status_code in (302, 403)
    assert_not_edited(client, page)


def test_site_settings_are_edited_in_the_admin(editor):
    site = Site.objects.get(is_default_site=True)
    url = f"/cms-admin/settings/cms/sitesettings/{site.pk}/"
    assert editor.get(url).status_code == 200
    assert b"Growth services with transparent delivery." in editor.get("/catalog/").content
    response = editor.post(
        url,
        {
            "support_email": "help@shop.example",
            "footer_text": "Growth, reported honestly.",
            "instagram_url": "https://instagram.com/smplat",
            "tiktok_url": "",
            "youtube_url": "https://youtube.com/@smplat",
        },
    )
    assert response.status_code == 302
    saved = SiteSettings.for_site(site)
    assert saved.support_email == "help@shop.example"
    assert saved.footer_text == "Growth, reported honestly."
    assert saved.instagram_url == "https://instagram.com/smplat"
    assert saved.youtube_url == "https://youtube.com/@smplat"

    footer = BeautifulSoup(editor.get("/catalog/").content, "html.parser").select_one("footer")
    assert "Growth, reported honestly." in footer.get_text()
    links = {a.get_text(strip=True): a["href"] for a in footer.select("a")}
    assert links["help@shop.example"] == "mailto:help@shop.example"
    assert links["Instagram"] == "https://instagram.com/smplat"
    assert "TikTok" not in links


def test_site_settings_reject_a_bad_email(editor):
    site = Site.objects.get(is_default_site=True)
    url = f"/cms-admin/settings/cms/sitesettings/{site.pk}/"
    response = editor.post(url, {"support_email": "not-an-email", "footer_text": "x"})
    assert response.status_code == 200
    assert not SiteSettings.objects.filter(site=site, support_email="not-an-email").exists()


def test_site_settings_refused_to_non_staff(client):
    make_user("shopper")
    client.login(username="shopper", password=PASSWORD)
    site = Site.objects.get(is_default_site=True)
    url = f"/cms-admin/settings/cms/sitesettings/{site.pk}/"
    assert_refused(client.post(url, {"support_email": "evil@example.com", "footer_text": "x"}))
    assert not SiteSettings.objects.filter(support_email="evil@example.com").exists()
