"""Experiments follow the storefront: edits show on every page at once, and carts, paid
orders and refunds become conversions."""

import logging

from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete, post_save

from billing.models import Invoice
from billing.signals import invoice_refunded
from catalog.services import pricing_version_bump
from checkout.events import cart_items_added
from core.visitors import visitor_id_known
from orders.signals import order_paid

from .models import Experiment, Variant
from .services import conversions_for_cart, conversions_for_order, conversions_refund

logger = logging.getLogger(__name__)


def experiment_edited(**kwargs):
    """Pages read running experiments under the pricing version."""
    pricing_version_bump()


def count_paid_order(sender, order, **kwargs):
    """In the payment's transaction, so a paid order counts exactly once; in a savepoint, so
    that a failure here never refuses a payment."""
    product_ids = list(order.lines.values_list("product_id", flat=True))
    try:
        with transaction.atomic():
            conversions_for_order(order=order, product_ids=product_ids)
    except DatabaseError:
        logger.exception("experiment conversions for order %s not recorded", order.number)


def count_cart_add(sender, request, product_ids, **kwargs):
    user = request.user
    try:
        with transaction.atomic():
            conversions_for_cart(
                account_id=user.pk if user.is_authenticated else None,
                visitor_id=visitor_id_known(request),
                product_ids=product_ids,
            )
    except DatabaseError:
        logger.exception("experiment add-to-cart conversions not recorded")


def subtract_refund(sender, invoice, **kwargs):
    if invoice.kind == Invoice.Kind.ORDER:
        conversions_refund(order_id=invoice.order_id, refunded_amount=invoice.refunded_amount)


for model in (Experiment, Variant):
    for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(experiment_edited, sender=model, dispatch_uid=f"experiments-{model}-{name}")
order_paid.connect(count_paid_order, dispatch_uid="experiments-paid-order")
cart_items_added.connect(count_cart_add, dispatch_uid="experiments-cart-add")
invoice_refunded.connect(subtract_refund, dispatch_uid="experiments-refund")
