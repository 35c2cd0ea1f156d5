"""Attribution through cart, order and payment, as a visitor goes: the variant seen first
gets the conversion, once; a refund subtracts; a visitor who saw nothing counts nowhere."""

import pytest
from django.test import Client

from billing.models import Invoice
from checkout.models import CheckoutSession
from core.visitors import COOKIE
from experiments.assignment import variant_for
from experiments.models import Conversion, Experiment
from experiments.selectors import experiment_results
from orders.models import Order
from tests.catalog.factories import ProductFactory
from tests.checkout.factories import envelope, post_event, stripe_fixture
from tests.checkout.test_checkout_flow import submit

from .factories import bundle_of, running

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle_test():
    insta = ProductFactory(slug="insta", title="Insta Boost", base_amount=10_000)
    tiktok = ProductFactory(slug="tok", title="TikTok Views", base_amount=2_000, platform="tiktok")
    bundle = bundle_of(insta, tiktok, headline="Creator pair")
    return running(
        insta,
        key="pair",
        variants=(("control", True, 50), ("bundle", False, 50, {"bundle": bundle})),
    ), bundle


def visitor_shown(experiment, name: str) -> Client:
    """A fresh browser that the hash puts in variant `name`, after its first product page."""
    for _ in range(200):
        client = Client()
        assert client.get("/products/insta/").status_code == 200
        unit = f"visitor:{client.cookies[COOKIE].value}"
        if (
            variant_for(experiment_key=experiment.key, unit=unit, weights=experiment.weights())
            == name
        ):
            return client
    raise AssertionError(f"no visitor drawn into {name}")


def buy_bundle(client, bundle) -> Order:
    assert client.post(f"/cart/add-bundle/{bundle.pk}/").status_code == 302
    response, _ = submit(client)
    assert response.status_code == 302, response.content.decode()[-3000:]
    session = CheckoutSession.objects.latest("pk")
    client.post(session.url, {"action": "pay"})
    order = Order.objects.get(pk=session.order_id)
    assert order.status == "processing"
    return order


def refund(client, order, amount):
    invoice = Invoice.objects.get(order=order)
    charge = {
        **stripe_fixture("charge"),
        "id": f"ch_{order.pk}",
        "amount": invoice.total_amount,
        "amount_captured": invoice.total_amount,
        "amount_refunded": amount,
        "refunded": amount == invoice.total_amount,
        "currency": invoice.currency.lower(),
        "payment_intent": invoice.payment_reference,
    }
    assert post_event(client, envelope("charge.refunded", charge)).status_code == 200


def results(experiment):
    return {r.variant.name: r for r in experiment_results(experiment=experiment)}


def test_a_visitor_who_saw_the_bundle_adds_it_and_pays_is_one_conversion_for_it(bundle_test):
    experiment, bundle = bundle_test
    buyer = visitor_shown(experiment, "bundle")
    order = buy_bundle(buyer, bundle)
    assert order.visitor_id == buyer.cookies[COOKIE].value
    arms = results(experiment)
    assert (arms["bundle"].arm.exposures, arms["bundle"].arm.conversions) == (1, 1)
    assert arms["bundle"].revenue == {order.currency: order.total_amount}
    assert arms["control"].arm.conversions == 0

    buy_bundle(buyer, bundle)  # a second paid order of the same visitor: still one
    assert Conversion.objects.count() == 1

    refund(Client(), order, 1_000)
    assert results(experiment)["bundle"].revenue == {order.currency: order.total_amount - 1_000}
    refund(Client(), order, order.total_amount)
    arms = results(experiment)
    assert (arms["bundle"].arm.conversions, arms["bundle"].revenue) == (0, {order.currency: 0})


def test_a_buyer_who_saw_no_experiment_counts_nowhere(bundle_test):
    experiment, bundle = bundle_test
    stranger = Client()  # straight to the cart: never shown the product page
    buy_bundle(stranger, bundle)
    assert not Conversion.objects.exists()
    assert all(r.arm.exposures == 0 for r in experiment_results(experiment=experiment))


def test_an_add_to_cart_goal_counts_the_add_once(bundle_test):
    _, bundle = bundle_test
    experiment = Experiment.objects.get(key="pair")
    Experiment.objects.filter(pk=experiment.pk).update(goal=Experiment.Goal.ADD_TO_CART)
    visitor = visitor_shown(experiment, "control")
    for _ in range(2):
        assert visitor.post(f"/cart/add-bundle/{bundle.pk}/").status_code == 302
    conversion = Conversion.objects.get()
    assert (conversion.variant.name, conversion.order) == ("control", None)
