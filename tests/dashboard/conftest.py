import pytest

from core.flags import BILLING_CENTRE
from core.models import Flag
from tests.checkout.factories import user


@pytest.fixture
def alice():
    return user("alice")


@pytest.fixture
def bob():
    return user("bob")


@pytest.fixture
def billing_centre_on(db):
    """The billing centre switched on for every account (it ships behind a flag)."""
    return Flag.objects.create(name=BILLING_CENTRE, everyone=True)
