"""The smoke checks' buyer fills the storefront's forms as a customer would: the default
choices, a required choice nobody preselected, and an account per target field in the form
the field asks for."""

import pytest
from django.core.management import CommandError, call_command

from backoffice.smoke import InProcess, SmokeFailed, Steps, storefront_checkout
from orders.models import Order
from tests.catalog.factories import OptionFactory, OptionGroupFactory, ProductFactory

pytestmark = pytest.mark.django_db


def buy(product) -> tuple[Order, list[str]]:
    written: list[str] = []
    url = storefront_checkout(
        InProcess(),
        Steps(written.append),
        catalog=f"/catalog/?category={product.category.slug}",
        email="buyer@example.com",
    )
    assert url.startswith("/checkout/pay/cs_local_")
    return Order.objects.get(), written


def test_a_per_account_service_gets_a_handle_for_each_account():
    product = ProductFactory(platform="tiktok", one_account_per_unit=True, min_quantity=3)
    size = OptionGroupFactory(product=product, name="Size")  # required, nothing preselected
    OptionFactory(group=size, label="Small", price_delta_amount=0, position=0)
    OptionFactory(group=size, label="Large", price_delta_amount=900, position=1)
    order, written = buy(product)
    line = order.lines.get()
    assert line.targets == ["@smoke.check1", "@smoke.check2", "@smoke.check3"]
    assert order.total_amount == 3 * 1_000  # the first size, as a buyer would pick
    assert [text.rsplit(" (", 1)[0] for text in written] == [
        f"  ok   catalog lists a product (/catalog/?category={product.category.slug})",
        f"  ok   product page /products/{product.slug}/",
        "  ok   add to cart",
        "  ok   checkout form",
        "  ok   place the order",
    ]


def test_a_multi_platform_service_gets_a_link():
    product = ProductFactory(platform="multi")
    order, _ = buy(product)
    assert order.lines.get().target == "https://example.com/smoke-check-1"


def test_an_empty_catalog_is_a_failure_with_its_reason():
    product = ProductFactory(is_active=False)
    with pytest.raises(SmokeFailed, match="lists no product"):
        buy(product)


def test_in_process_refuses_a_real_gateway(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    with pytest.raises(CommandError, match="PAYMENT_GATEWAY is 'stripe'; check this deployment"):
        call_command("smoke_checkout", "--in-process")
