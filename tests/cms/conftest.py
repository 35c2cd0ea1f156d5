import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _fresh_renditions_cache():
    """Rolled-back images reuse their ids, so cached renditions must not outlive a test."""
    caches["renditions"].clear()
    yield
    caches["renditions"].clear()
