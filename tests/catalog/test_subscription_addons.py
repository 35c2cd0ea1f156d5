"""Add-ons that only make sense with monthly billing, and the plan of what renews."""

from datetime import date

import pytest

from catalog.exceptions import InvalidConfiguration
from catalog.models import BillingModes, Option
from catalog.pricing import Configuration, payment_plan, price_configuration
from catalog.selectors import product_get_for_pricing
from core.money import Money

from .factories import AddOnFactory, configurable_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def growth():
    product = configurable_product(
        base_amount=4_900, billing_modes=BillingModes.BOTH, subscription_amount=3_900
    )
    call = AddOnFactory(
        product=product, label="Monthly strategy call", amount=4_900, subscription_only=True
    )
    return product, call


def configure(product, addon, billing):
    small = Option.objects.get(group__product=product, label="Small").pk
    return price_configuration(
        product=product_get_for_pricing(pk=product.pk),
        configuration=Configuration(option_ids=(small,), addon_ids=(addon.pk,), billing=billing),
        campaigns=[],
    )


def test_a_subscription_only_add_on_is_refused_for_a_one_off_purchase(growth):
    product, call = growth
    with pytest.raises(InvalidConfiguration) as refused:
        configure(product, call, "one_off")
    assert refused.value.code == "addon_subscription_only"
    assert refused.value.message == (
        "Monthly strategy call comes only with a monthly subscription: choose monthly billing "
        "or leave it out."
    )


def test_a_subscription_only_add_on_is_priced_into_the_monthly_amount(growth):
    product, call = growth
    assert configure(product, call, "subscription").total == Money(3_900 + 4_900, "USD")


def test_the_plan_splits_today_into_one_off_and_first_month_and_names_the_renewal():
    plan = payment_plan(
        [
            (Money(2_000, "USD"), None),
            (Money(11_115, "USD"), "month"),
            (Money(500, "USD"), "month"),
        ],
        currency="USD",
        today=date(2026, 12, 1),
    )
    assert plan.due_today == Money(13_615, "USD")
    assert plan.one_off == Money(2_000, "USD")
    assert (plan.renewal, plan.interval, plan.renews_on) == (
        Money(11_615, "USD"),
        "month",
        date(2027, 1, 1),
    )


def test_a_one_off_plan_renews_nothing():
    plan = payment_plan([(Money(4_900, "USD"), None)], currency="USD", today=date(2026, 12, 1))
    assert (plan.due_today, plan.renewal, plan.renews_on) == (Money(4_900, "USD"), None, None)


@pytest.mark.parametrize(
    ("today", "renews"),
    [
        (date(2026, 12, 1), date(2027, 1, 1)),
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2028, 1, 30), date(2028, 2, 29)),
        (date(2027, 3, 31), date(2027, 4, 30)),
    ],
)
def test_a_subscription_renews_a_month_after_it_is_paid(today, renews):
    plan = payment_plan([(Money(3_900, "USD"), "month")], currency="USD", today=today)
    assert plan.renews_on == renews and plan.renewal == Money(3_900, "USD")
