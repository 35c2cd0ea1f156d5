from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.exceptions import InvalidConfiguration, ProductUnavailable
from catalog.models import BillingModes, Campaign, Option
from catalog.pricing import Configuration, price_configuration
from catalog.selectors import campaign_rules, product_get_for_pricing

from .factories import (
    AddOnFactory,
    CampaignFactory,
    OptionFactory,
    OptionGroupFactory,
    ProductFactory,
    configurable_product,
)

pytestmark = pytest.mark.django_db


def opt(product, label) -> int:
    return Option.objects.get(group__product=product, label=label).pk


def price(product, **config):
    product = product_get_for_pricing(pk=product.pk, active_only=False)
    return price_configuration(
        product=product, configuration=Configuration(**config), campaigns=campaign_rules()
    )


@pytest.fixture
def product():
    return configurable_product(base_amount=10_000)


def test_base_price_with_required_default_option(product):
    breakdown = price(product, option_ids=(opt(product, "Small"),))
    assert breakdown.total.amount == 10_000
    assert [line.kind for line in breakdown.lines] == ["base", "option"]
    assert breakdown.interval is None


def test_option_deltas_and_addons_add_to_the_unit_price(product):
    addon = product.addons.get()
    breakdown = price(
        product,
        option_ids=(opt(product, "Large"), opt(product, "Targeting"), opt(product, "Priority")),
        addon_ids=(addon.pk,),
    )
    assert breakdown.unit.amount == 10_000 + 2_500 + 300 + 700 + 400
    assert breakdown.total.amount == 13_900


def test_negative_option_delta_lowers_price_but_never_below_zero():
    product = ProductFactory(base_amount=1_000)
    group = OptionGroupFactory(product=product)
    cheaper = OptionFactory(group=group, price_delta_amount=-400)
    free = OptionFactory(group=group, price_delta_amount=-5_000)
    assert price(product, option_ids=(cheaper.pk,)).total.amount == 600
    assert price(product, option_ids=(free.pk,)).total.amount == 0


def test_quantity_multiplies_unit_price_below_first_tier(product):
    breakdown = price(product, option_ids=(opt(product, "Small"),), quantity=2)
    assert breakdown.gross.amount == 20_000
    assert breakdown.tier_discount.amount == 0


@pytest.mark.parametrize(
    ("quantity", "percent", "discount"),
    [(3, "5", 1_500), (9, "5", 4_500), (10, "15", 15_000), (50, "15", 75_000)],
)
def test_highest_reached_quantity_tier_applies(product, quantity, percent, discount):
    breakdown = price(product, option_ids=(opt(product, "Small"),), quantity=quantity)
    assert breakdown.tier_percent == Decimal(percent)
    assert breakdown.tier_discount.amount == discount
    assert breakdown.total.amount == 10_000 * quantity - discount


def test_percentage_rounds_half_up_to_whole_cents():
    product = ProductFactory(base_amount=999)
    CampaignFactory(products=[product], percent=Decimal("15"))  # 149.85 → 150
    assert price(product).campaign_discount.amount == 150
    assert price(product).total.amount == 849

    other = ProductFactory(base_amount=1_003)
    CampaignFactory(products=[other], percent=Decimal("12.5"))  # 125.375 → 125
    assert price(other).campaign_discount.amount == 125


def test_campaign_applies_after_tier_discount(product):
    CampaignFactory(products=[product], percent=Decimal("10"))
    breakdown = price(product, option_ids=(opt(product, "Small"),), quantity=10)
    # 100,000 gross − 15% tier = 85,000; 10% campaign = 8,500.
    assert breakdown.tier_discount.amount == 15_000
    assert breakdown.campaign_discount.amount == 8_500
    assert breakdown.total.amount == 76_500


def test_campaign_by_category():
    product = ProductFactory(base_amount=2_000)
    CampaignFactory(categories=[product.category], percent=Decimal("25"), name="Category sale")
    breakdown = price(product)
    assert breakdown.campaign_name == "Category sale"
    assert breakdown.total.amount == 1_500


def test_fixed_campaign_is_per_unit_and_never_exceeds_price():
    product = ProductFactory(base_amount=2_000)
    CampaignFactory(products=[product], kind=Campaign.Kind.FIXED, percent=None, amount=300)
    assert price(product, quantity=3).campaign_discount.amount == 900
    cheap = ProductFactory(base_amount=200)
    CampaignFactory(products=[cheap], kind=Campaign.Kind.FIXED, percent=None, amount=300)
    assert price(cheap).total.amount == 0


def test_fixed_campaign_in_another_currency_is_ignored():
    product = ProductFactory(base_amount=2_000, currency="EUR")
    CampaignFactory(
        products=[product], kind=Campaign.Kind.FIXED, percent=None, amount=300, currency="USD"
    )
    assert price(product).total.amount == 2_000


def test_best_campaign_wins_and_campaigns_do_not_stack():
    product = ProductFactory(base_amount=10_000)
    CampaignFactory(products=[product], percent=Decimal("10"), name="Small")
    CampaignFactory(categories=[product.category], percent=Decimal("30"), name="Big")
    CampaignFactory(
        products=[product], kind=Campaign.Kind.FIXED, percent=None, amount=2_000, name="Fixed"
    )
    breakdown = price(product)
    assert breakdown.campaign_name == "Big"
    assert breakdown.total.amount == 7_000


@pytest.mark.parametrize(
    ("starts", "ends", "applies"),
    [
        (timedelta(days=-1), timedelta(days=1), True),
        (timedelta(days=1), timedelta(days=2), False),  # not started
        (timedelta(days=-2), timedelta(days=-1), False),  # over
        (timedelta(seconds=-1), timedelta(seconds=1), True),
    ],
)
def test_campaign_window(starts, ends, applies):
    product = ProductFactory(base_amount=1_000)
    now = timezone.now()
    CampaignFactory(products=[product], starts_at=now + starts, ends_at=now + ends)
    assert (price(product).campaign_discount.amount > 0) is applies


def test_campaign_window_edges_are_start_inclusive_end_exclusive():
    product = ProductFactory(base_amount=1_000)
    start = timezone.now().replace(microsecond=0)
    end = start + timedelta(hours=1)
    CampaignFactory(products=[product], starts_at=start, ends_at=end)
    loaded = product_get_for_pricing(pk=product.pk)
    for at, expected in [(start, 100), (end - timedelta(microseconds=1), 100), (end, 0)]:
        breakdown = price_configuration(
            product=loaded, configuration=Configuration(), campaigns=campaign_rules(at=at), at=at
        )
        assert breakdown.campaign_discount.amount == expected


def test_inactive_campaign_is_ignored():
    product = ProductFactory(base_amount=1_000)
    CampaignFactory(products=[product], is_active=False)
    assert price(product).total.amount == 1_000


def test_subscription_uses_monthly_price_and_interval():
    product = ProductFactory(
        base_amount=10_000, billing_modes=BillingModes.BOTH, subscription_amount=3_000
    )
    AddOnFactory(product=product, amount=500)
    addon = product.addons.get()
    one_off = price(product, billing="one_off")
    monthly = price(product, billing="subscription", addon_ids=(addon.pk,))
    assert (one_off.total.amount, one_off.interval) == (10_000, None)
    assert (monthly.total.amount, monthly.interval) == (3_500, "month")


def test_subscription_only_product_rejects_one_off():
    product = ProductFactory(
        base_amount=0, billing_modes=BillingModes.SUBSCRIPTION, subscription_amount=900
    )
    assert price(product, billing="subscription").total.amount == 900
    with pytest.raises(InvalidConfiguration, match="billing mode"):
        price(product, billing="one_off")


def test_one_off_product_rejects_subscription_and_unknown_billing():
    product = ProductFactory()
    for billing in ("subscription", "yearly", ""):
        with pytest.raises(InvalidConfiguration):
            price(product, billing=billing)


# Invalid combinations -------------------------------------------------------


def test_missing_required_group(product):
    with pytest.raises(InvalidConfiguration, match="Choose a size"):
        price(product)


def test_two_choices_in_single_choice_group(product):
    with pytest.raises(InvalidConfiguration, match="only one size"):
        price(product, option_ids=(opt(product, "Small"), opt(product, "Large")))


def test_option_of_another_product(product):
    other = configurable_product()
    with pytest.raises(InvalidConfiguration, match="not available"):
        price(product, option_ids=(opt(product, "Small"), opt(other, "Large")))


def test_addon_of_another_product(product):
    other_addon = AddOnFactory()
    with pytest.raises(InvalidConfiguration, match="Add-on"):
        price(product, option_ids=(opt(product, "Small"),), addon_ids=(other_addon.pk,))


def test_inactive_addon_is_not_available(product):
    addon = product.addons.get()
    addon.is_active = False
    addon.save()
    with pytest.raises(InvalidConfiguration, match="Add-on"):
        price(product, option_ids=(opt(product, "Small"),), addon_ids=(addon.pk,))


@pytest.mark.parametrize("ids", [(999_999,), (-1,), (0,)])
def test_unknown_option_ids(product, ids):
    with pytest.raises(InvalidConfiguration):
        price(product, option_ids=(opt(product, "Small"), *ids))


def test_duplicate_ids(product):
    small = opt(product, "Small")
    with pytest.raises(InvalidConfiguration, match="twice"):
        price(product, option_ids=(small, small))
    addon = product.addons.get().pk
    with pytest.raises(InvalidConfiguration, match="twice"):
        price(product, option_ids=(small,), addon_ids=(addon, addon))


@pytest.mark.parametrize("quantity", [0, -1, -(10**9), 101, 10**12])
def test_negative_zero_and_absurd_quantities(product, quantity):
    with pytest.raises(InvalidConfiguration, match="(?i)at least|at most"):
        price(product, option_ids=(opt(product, "Small"),), quantity=quantity)


def test_too_many_ids_rejected_before_any_work(product):
    with pytest.raises(InvalidConfiguration, match="Too many"):
        price(product, option_ids=tuple(range(1, 200)))


def test_inactive_product_cannot_be_priced(product):
    product.is_active = False
    product.save()
    with pytest.raises(ProductUnavailable):
        price(product, option_ids=(opt(product, "Small"),))


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"options": ["abc"]},
        {"options": [True]},
        {"quantity": "1e9"},
        {"quantity": None},
        {"quantity": "9" * 40},
        {"billing": 5},
        {"addons": [{"id": 1}]},
    ],
)
def test_unreadable_configuration_data(data):
    with pytest.raises(InvalidConfiguration):
        Configuration.from_dict(data)


def test_configuration_round_trips_through_json():
    config = Configuration(option_ids=(3, 1), addon_ids=(2,), quantity=4, billing="subscription")
    assert Configuration.from_dict(config.as_dict()) == Configuration(
        option_ids=(1, 3), addon_ids=(2,), quantity=4, billing="subscription"
    )
