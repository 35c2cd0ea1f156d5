import pytest

from tests.catalog.factories import configurable_product

from .factories import running

PITCH = {"hero_heading": "Real followers in 48 hours", "hero_text": "Start today, pay once."}


@pytest.fixture
def product():
    return configurable_product(slug="insta", title="Insta Boost", summary="Grow on Instagram.")


@pytest.fixture
def pitch_test(product):
    """A running product-page experiment: the control against new hero copy, 50/50."""
    return running(
        product, key="pitch", variants=(("control", True, 50), ("pitch", False, 50, PITCH))
    )
