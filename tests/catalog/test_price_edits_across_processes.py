"""Two gunicorn workers, each with its own local-memory cache: a staff price or campaign edit
shows on the product page, the cart and checkout of both at once, and within
PRICING_VERSION_RECENT_SECONDS to visitors without a session.

The workers serve the test database (PostgreSQL); edits are made through the ORM here.
"""

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Campaign
from tests.gunicorn_server import two_workers

from .factories import ProductFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database shared between processes"
    ),
]

RECENT_SECONDS = 1.0


@pytest.fixture
def server(tmp_path):
    """(base url, access log) of `gunicorn --workers 2` on the test database."""
    env = {"PRICING_VERSION_RECENT_SECONDS": str(RECENT_SECONDS)}  # as in production
    with two_workers(tmp_path, env=env, args=["--workers=2"]) as served:
        yield served


class Shopper:
    """A browser's cookie jar; every request opens a new connection, so either worker
    may answer it."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path, data) -> str:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        with self.opener.open(self.base + path, body, timeout=30) as response:
            return response.read().decode()


def shown_prices(shopper, slug) -> set[str]:
    """The price each page shows: product page total, cart line, checkout line."""
    product_page = shopper.get(f"/products/{slug}/")
    cart = shopper.get("/cart/")
    checkout = shopper.get("/checkout/")
    return {
        "product " + re.search(r'data-total="(\d+)"', product_page).group(1),
        "cart " + re.search(r'class="cart-total">Total today <strong>([^<]+)<', cart).group(1),
        "checkout " + re.search(r"<span>([^<]+)</span></li>", checkout).group(1),
    }


def visitor_total(slug, base) -> str:
    """The product page total a visitor without cookies sees."""
    with urllib.request.urlopen(f"{base}/products/{slug}/", timeout=30) as response:
        return re.search(r'data-total="(\d+)"', response.read().decode()).group(1)


def expect_everywhere(shopper, slug, access_log, amount: int, label: str) -> None:
    """Both workers answer, and every answer shows `amount`."""
    expected = {f"product {amount}", f"cart {label}", f"checkout {label}"}
    start = len(access_log.read_text().splitlines())
    # Two rounds of pages at once: while one worker is busy the other takes the next
    # connection (one after the other, an idle worker may win every accept).
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(30):
            rounds = pool.map(lambda _: shown_prices(shopper, slug), range(2))
            assert all(shown == expected for shown in rounds)
            lines = access_log.read_text().splitlines()[start:]
            served = Counter(line.split()[0] for line in lines)
            if len(served) == 2 and min(served.values()) >= 6:
                return
    pytest.fail(f"the requests did not reach both workers: {served}")


def test_a_price_or_campaign_edit_shows_at_once_in_every_process(server):
    base, access_log = server
    product = ProductFactory(slug="growth", base_amount=10_007, platform="tiktok")
    shopper = Shopper(base)
    shopper.get("/products/growth/")  # the CSRF cookie
    shopper.post("/cart/add/growth/", {"quantity": "1", "billing": "one_off"})
    # Both workers have cached the old price for every page.
    expect_everywhere(shopper, "growth", access_log, 10_007, "$100.07")

    product.base_amount = 12_345
    product.save()
    edited = time.monotonic()
    expect_everywhere(shopper, "growth", access_log, 12_345, "$123.45")
    # A visitor without a session may see the old price for up to RECENT_SECONDS, no longer.
    while "12345" not in visitor_total("growth", base):
        assert time.monotonic() - edited < RECENT_SECONDS + 1, "a stale price stayed on"
        time.sleep(0.05)
    for _ in range(10):
        assert visitor_total("growth", base) == "12345"

    now = timezone.now()
    campaign = Campaign.objects.create(
        name="Winter sale",
        kind=Campaign.Kind.PERCENT,
        percent=20,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )
    campaign.products.add(product)
    expect_everywhere(shopper, "growth", access_log, 9_876, "$98.76")
