import io
import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page

from cms.models import ProductMarketingPage

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab; the test fails if the Content-Security-Policy refused anything."""
    context = browser.new_context(base_url=live_server.url)
    refused = []
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not refused, f"refused by the Content-Security-Policy: {refused}"


def wagtail_baseline():
    """What Wagtail's data migrations create and a transactional test's flush removes.

    (serialized_rollback cannot bring it back here: Playwright's event loop gives the test
    thread another connection object, one without the serialized contents.)
    """
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    if not Page.objects.exists():
        Page.add_root(instance=Page(title="Root", slug="root"))


@pytest.fixture
def seeded():
    """The demo shop of `make run`: catalog, campaign, CMS pages with images, demo orders."""
    # Flushed images reuse their ids, so cached renditions must not outlive a test.
    caches["renditions"].clear()
    wagtail_baseline()
    call_command("seed_demo", stdout=io.StringIO())
    assert ProductMarketingPage.objects.live().count() == 2
    yield
    caches["renditions"].clear()
