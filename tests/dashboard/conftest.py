import pytest

from tests.checkout.factories import user


@pytest.fixture
def alice():
    return user("alice")


@pytest.fixture
def bob():
    return user("bob")
