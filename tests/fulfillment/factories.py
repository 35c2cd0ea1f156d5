"""Paid orders with plans, made through the real checkout and webhook code."""

from catalog.pricing import Configuration
from fulfillment.models import PlanStep
from tests.catalog.factories import ProductFactory
from tests.checkout.factories import placed_order, post_event, session_event


def product_with_plan(*steps, **product_kwargs):
    """`steps`: dicts of PlanStep fields; defaults to one no-op step."""
    product = ProductFactory(**product_kwargs)
    for position, spec in enumerate(
        steps or [{"name": "No-op", "kind": "noop", "adapter": "noop"}]
    ):
        PlanStep.objects.create(product=product, position=position, **spec)
    return product


def paid_order(client, *products, quantity=1, owner=None):
    """An order for `products` (placed by `owner`, or a new buyer), paid through a signed
    checkout.session.completed webhook."""
    order, session = placed_order(
        owner=owner, products=[(p, Configuration(quantity=quantity)) for p in products]
    )
    response = post_event(client, session_event(session))
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    return order
