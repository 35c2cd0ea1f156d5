"""Security headers on every storefront and dashboard page: a Content-Security-Policy that
allows no inline script or style (and no page writes one), no framing, a referrer policy and
a permissions policy."""

import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model

from tests.catalog.factories import configurable_product
from tests.cms.factories import home_page, marketing_page

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/catalog/",
    "/catalog/?q=followers",
    "/products/insta/",
    "/cart/",
    "/accounts/login/",
    "/accounts/password-reset/",
    "/no-such-page/",
]
SIGNED_IN_PAGES = ["/dashboard/", "/dashboard/billing/", "/dashboard/staff/"]


@pytest.fixture
def site():
    home = home_page()
    marketing_page(configurable_product(slug="insta", title="Insta Boost"), parent=home)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def assert_no_inline_code(html: str, url: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    inline = [
        s
        for s in soup.find_all("script")
        if not s.get("src") and s.get("type") != "application/json"
    ]
    assert not inline, f"{url}: inline script"
    assert not soup.find_all(style=True) and not soup.find_all("style"), f"{url}: inline style"
    handlers = [a for tag in soup.find_all(True) for a in tag.attrs if a.startswith("on")]
    assert not handlers, f"{url}: inline event handlers {handlers}"


@pytest.mark.parametrize("url", PAGES)
def test_storefront_pages_carry_a_strict_policy_and_no_inline_code(client, site, url):
    response = client.get(url, follow=True)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert not re.search(r"unsafe-(inline|eval)", response["Content-Security-Policy"])
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert_no_inline_code(response.content.decode(), url)


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_dashboard_pages_too(client, site, url):
    staff = get_user_model().objects.create_user("ops", password="pw-123456", is_staff=True)
    client.force_login(staff)
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    assert_no_inline_code(response.content.decode(), url)


def test_the_admin_sites_keep_their_own_policy(admin_client, site):
    for url in ("/cms-admin/", "/admin/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "Content-Security-Policy" not in response
        assert response["X-Frame-Options"] == "DENY"
