import pytest

from .hashers import CountingHasher


@pytest.fixture
def throttled(settings):
    """django-axes switched on (test settings keep it off for the test client's login()),
    with the defaults: 10 failures, then an hour. Passwords are checked by a counting hasher,
    so create accounts after this fixture."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingHasher"]
    CountingHasher.checks = 0
    return CountingHasher
