"""Two gunicorn workers, each with its own local-memory cache: a staff price or campaign edit
shows on the product page, the cart and checkout of both at once, and within
PRICING_VERSION_RECENT_SECONDS to visitors without a session.

The workers serve the test database (PostgreSQL); edits are made through the ORM here.
"""

import contextlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Campaign

from .factories import ProductFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database shared between processes"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
RECENT_SECONDS = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """(base url, access log) of `gunicorn --workers 2` on the test database."""
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "DATABASE_URL": f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PRICING_VERSION_RECENT_SECONDS": str(RECENT_SECONDS),  # as in production
    }
    port = free_port()
    access_log = tmp_path / "access.log"
    with (tmp_path / "gunicorn.log").open("w") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "smplat.wsgi:application",
                "--workers=2",
                f"--bind=127.0.0.1:{port}",
                f"--access-logfile={access_log}",
                "--access-logformat=%(p)s %(U)s",
            ],
            cwd=ROOT,
            env=env,
            stdout=errors,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200:
                    break
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield base, access_log
    finally:
        process.terminate()
        process.wait(timeout=30)


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
    for _ in range(30):
        assert shown_prices(shopper, slug) == expected
        served = Counter(line.split()[0] for line in access_log.read_text().splitlines()[start:])
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
