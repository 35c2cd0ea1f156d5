"""Database side of the payment benchmarks: build request pools before a run, verify after.

Run with the app's environment, like load_products.py:

    payments_db.py webhook-pool --count N --out pool.jsonl
    payments_db.py checkout-pool --count N --out pool.jsonl
    payments_db.py verify-webhooks --sent sent.json --out verified.json
    payments_db.py verify-checkout --sent sent.json --out verified.json

A pool is JSON lines, one request each: {"key", "method", "path", "headers", "body"}; the
key is the Stripe event id (webhooks) or the form's checkout_token (checkout). Webhook
bodies are left unsigned: bench/payments.py signs them right before sending, since Stripe
signatures expire after 300 s. A verification writes one JSON object.
"""

from __future__ import annotations

import argparse
import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from load_products import PROJECT_ROOT, setup_django

STRIPE_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "stripe" / "checkout_session.json"
WEBHOOK_PATH = "/api/v1/payments/webhooks/stripe"
CHECKOUT_PATH = "/checkout/"
# Orders placed through the real services; the rest of a pool copies them in bulk.
REAL_ORDERS = 10
BATCH_SIZE = 1000
# A target the checkout form accepts for each platform (checkout/targets.py).
TARGETS = {
    "instagram": "@bench.brand",
    "tiktok": "@bench.brand",
    "youtube": "@benchchannel",
    "multi": "https://example.com/brand",
}


# --------------------------------------------------------------------------- shared


def priced_products(limit: int = 40):
    """(product, configuration) pairs: products sold one-off whose default configuration
    prices cleanly, demo products first (every platform), then bench products."""
    from catalog.models import Product
    from catalog.pricing import default_configuration, price_configuration
    from catalog.selectors import product_get_for_pricing
    from core.exceptions import ApplicationError

    ids = Product.objects.filter(is_active=True, billing_modes__in=["one_off", "both"]).order_by(
        "position", "pk"
    )
    found = []
    for pk in ids.values_list("pk", flat=True)[: limit * 2]:
        product = product_get_for_pricing(pk=pk)
        configuration = default_configuration(product)
        try:
            price_configuration(product=product, configuration=configuration, campaigns=[])
        except ApplicationError:
            continue
        found.append((product, configuration))
        if len(found) == limit:
            break
    if not found:
        raise SystemExit("No priceable one-off products: run seed_demo first.")
    return found


def fill_cart(cart, picks) -> None:
    from checkout.services import cart_add

    for product, configuration in picks:
        cart_add(cart=cart, product=product, configuration=configuration)


def batches(items, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_pool(path: Path, requests) -> int:
    count = 0
    with open(path, "w") as f:
        for request in requests:
            f.write(json.dumps(request) + "\n")
            count += 1
    return count


# --------------------------------------------------------------------------- webhooks


def place_real_orders(count: int, products) -> list:
    """Visitor carts checked out through the real services and opened at the gateway."""
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser

    from checkout.models import Cart
    from checkout.services import checkout_submit, session_open_at_gateway

    sessions = []
    for i in range(count):
        cart = Cart.objects.create(session_key=uuid.uuid4().hex)
        fill_cart(cart, [products[i % len(products)]])
        _, session, _ = checkout_submit(
            cart=cart,
            user=AnonymousUser(),
            email=f"bench-webhook-{uuid.uuid4().hex[:12]}@example.com",
            name="Bench Buyer",
            targets={item.pk: [TARGETS[item.product.platform]] for item in cart.items.all()},
            checkout_token=uuid.uuid4(),
        )
        sessions.append(session_open_at_gateway(session=session, base_url=settings.SITE_URL))
    return sessions


def reserve_order_numbers(count: int) -> list[str]:
    """Take `count` numbers from the year's sequence, as orders.services._next_number does
    one at a time, so the checkout benchmark's orders never collide with these."""
    from django.utils import timezone

    from orders.models import OrderNumberSequence

    year = timezone.now().year
    OrderNumberSequence.objects.bulk_create([OrderNumberSequence(year=year)], ignore_conflicts=True)
    sequence = OrderNumberSequence.objects.select_for_update().get(year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return [f"SMP-{year}-{n:06d}" for n in range(first, first + count)]


def copy_orders(templates: list, count: int) -> list[int]:
    """`count` more pending orders with open sessions, copied from the real ones in bulk;
    returns the sessions' pks."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone

    from checkout.models import CheckoutSession
    from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange

    assert connection.features.can_return_rows_from_bulk_insert  # bulk_create sets pks
    lines = {t.order_id: list(OrderLine.objects.filter(order_id=t.order_id)) for t in templates}
    expires_at = timezone.now() + timedelta(minutes=settings.CHECKOUT_SESSION_TTL_MINUTES)
    session_pks = []
    for chunk in batches(range(count)):
        with transaction.atomic():
            numbers = reserve_order_numbers(len(chunk))
            pairs = [
                (templates[i % len(templates)], number)
                for i, number in zip(chunk, numbers, strict=True)
            ]
            orders = Order.objects.bulk_create(
                Order(
                    number=number,
                    user_id=t.order.user_id,
                    email=t.order.email,
                    name=t.order.name,
                    currency=t.order.currency,
                    subtotal_amount=t.order.subtotal_amount,
                    discount_amount=t.order.discount_amount,
                    total_amount=t.order.total_amount,
                    checkout_token=uuid.uuid4(),
                )
                for t, number in pairs
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    **{
                        f.attname: getattr(line, f.attname)
                        for f in OrderLine._meta.concrete_fields
                        if f.attname not in ("id", "order_id")
                    },
                    order=order,
                )
                for order, (t, _) in zip(orders, pairs, strict=True)
                for line in lines[t.order_id]
            )
            OrderStatusChange.objects.bulk_create(
                OrderStatusChange(
                    order=order,
                    from_status="",
                    to_status=OrderStatus.PENDING,
                    source="checkout",
                    actor_id=order.user_id,
                    reason="Order placed",
                )
                for order in orders
            )
            provider_ids = [f"cs_local_{secrets.token_hex(16)}" for _ in orders]
            sessions = CheckoutSession.objects.bulk_create(
                CheckoutSession(
                    order=order,
                    gateway=t.gateway,
                    mode=t.mode,
                    attempt=1,
                    idempotency_key=f"checkout-{order.number}-attempt-1",
                    amount_total=order.total_amount,
                    currency=order.currency,
                    expires_at=expires_at,
                    provider_id=provider_id,
                    url=reverse("checkout:hosted", kwargs={"provider_id": provider_id}),
                )
                for order, (t, _), provider_id in zip(orders, pairs, provider_ids, strict=True)
            )
            session_pks += [session.pk for session in sessions]
    return session_pks


def completed_event(fixture: dict, session) -> dict:
    """`checkout.session.completed` (paid) for one session, shaped like Stripe's own."""
    import time

    order = session.order
    suffix = session.provider_id.removeprefix("cs_local_")
    obj = {
        **fixture,
        "id": session.provider_id,
        "object": "checkout.session",
        "amount_subtotal": session.amount_total,
        "amount_total": session.amount_total,
        "client_reference_id": order.number,
        "created": int(session.created_at.timestamp()),
        "currency": session.currency.lower(),
        "customer": f"cus_bench_{order.user_id}",
        "customer_email": order.email,
        "expires_at": int(session.expires_at.timestamp()),
        "metadata": {
            "order_id": str(order.pk),
            "order_number": order.number,
            "checkout_session_id": str(session.pk),
        },
        "mode": session.mode,
        "payment_intent": f"pi_bench_{suffix}",
        "payment_status": "paid",
        "status": "complete",
        "url": None,
    }
    return {
        "id": f"evt_bench_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2025-06-30.basil",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
    }


def webhook_pool(count: int, out: Path) -> int:
    """`count` open sessions of pending orders, one paid `completed` event for each."""
    from checkout.models import CheckoutSession

    products = priced_products()
    real = place_real_orders(min(REAL_ORDERS, count), products)
    pks = [session.pk for session in real] + copy_orders(real, count - len(real))
    fixture = json.loads(STRIPE_FIXTURE.read_text())
    sessions = (
        CheckoutSession.objects.filter(pk__gte=min(pks), pk__lte=max(pks))
        .select_related("order")
        .order_by("pk")
    )
    requests = (
        {
            "key": event["id"],
            "provider_id": event["data"]["object"]["id"],
            "method": "POST",
            "path": WEBHOOK_PATH,
            "headers": {"Content-Type": "application/json"},
            # Stripe sends pretty-printed JSON.
            "body": json.dumps(event, indent=2),
        }
        for event in (completed_event(fixture, s) for s in sessions.iterator())
    )
    return write_pool(out, requests)


def verify_webhooks(sent: dict) -> dict:
    """Every sent event processed once; its order paid, invoiced and moved exactly once;
    the pool's unsent sessions untouched. Reads whole tables: the bench database is ours."""
    from collections import Counter

    from billing.models import Invoice
    from checkout.models import CheckoutSession, WebhookEvent
    from orders.models import Order, OrderStatusChange

    events = {
        e: (o, a, err, at, seen)
        for e, o, a, err, at, seen in WebhookEvent.objects.values_list(
            "event_id", "outcome", "attempts", "error", "processed_at", "first_seen_at"
        )
    }
    sessions = {
        pid: (status, payment, order)
        for pid, status, payment, order in CheckoutSession.objects.values_list(
            "provider_id", "status", "payment_status", "order_id"
        )
    }
    orders = {
        pk: (status, paid is not None)
        for pk, status, paid in Order.objects.values_list("pk", "status", "paid_at")
    }
    invoices = Counter(
        Invoice.objects.filter(kind=Invoice.Kind.ORDER).values_list("order_id", flat=True)
    )
    moves = Counter(
        OrderStatusChange.objects.filter(from_status="pending", to_status="processing").values_list(
            "order_id", flat=True
        )
    )
    sent_ids = sent["keys"]
    processed = {e for e in sent_ids if events.get(e, ("",))[0] == "processed"}
    paid_orders = [sessions[pid][2] for pid in sent["provider_ids"]]
    unsent_orders = [sessions[pid][2] for pid in sent["unsent_provider_ids"]]
    return {
        "distinct_sent": len(sent_ids),
        "processed": len(processed),
        "lost": len(sent_ids) - len(processed),
        "outcomes": dict(Counter(events[e][0] if e in events else "missing" for e in sent_ids)),
        # Processed while wrk ran: requests still in flight at its end do not count.
        "measured_processed": sum(
            e in processed and events[e][3].timestamp() <= sent["measured_until"]
            for e in sent["measured_keys"]
        ),
        # Verified and stored while wrk ran (queued mode applies them afterwards).
        "measured_recorded": sum(
            e in events and events[e][4].timestamp() <= sent["measured_until"]
            for e in sent["measured_keys"]
        ),
        "deliveries_recorded": sum(events[e][1] for e in sent_ids if e in events),
        "orders_not_paid": sum(orders[o] != ("processing", True) for o in paid_orders),
        "sessions_not_complete_paid": sum(
            sessions[pid][:2] != ("complete", "paid") for pid in sent["provider_ids"]
        ),
        "orders_without_one_invoice": sum(invoices[o] != 1 for o in paid_orders),
        "orders_without_one_status_change": sum(moves[o] != 1 for o in paid_orders),
        "unsent_orders_touched": sum(
            orders[o] != ("pending", False) or invoices[o] or moves[o] for o in unsent_orders
        ),
        "errors": sorted({events[e][2] for e in sent_ids if e in events and events[e][2]})[:5],
    }


# --------------------------------------------------------------------------- checkout


def checkout_pool(count: int, out: Path) -> int:
    """`count` visitors, each with a session, a CSRF secret and a cart of 1–2 products."""
    from importlib import import_module

    from django.conf import settings
    from django.db import transaction
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.utils.crypto import get_random_string

    from checkout.models import Cart, CartItem
    from checkout.services import CART_TOKEN_KEY

    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    products = priced_products()
    run = secrets.token_hex(4)
    requests = []
    for chunk in batches(range(count)):
        with transaction.atomic():
            carts = Cart.objects.bulk_create(Cart(session_key=uuid.uuid4().hex) for _ in chunk)
            picks = {
                cart.pk: [products[(3 * i + k) % len(products)] for k in range(1 + i % 2)]
                for i, cart in zip(chunk, carts, strict=True)
            }
            items = CartItem.objects.bulk_create(
                CartItem(cart=cart, product=product, configuration=configuration.as_dict())
                for cart in carts
                for product, configuration in picks[cart.pk]
            )
            targets = {}
            for item in items:
                targets.setdefault(item.cart_id, {})[f"target_{item.pk}"] = TARGETS[
                    item.product.platform
                ]
            for i, cart in zip(chunk, carts, strict=True):
                session = session_store()
                session[CART_TOKEN_KEY] = cart.session_key
                session.create()
                csrf = get_random_string(32, CSRF_ALLOWED_CHARS)
                token = str(uuid.uuid4())
                form = {
                    "csrfmiddlewaretoken": csrf,
                    "checkout_token": token,
                    "email": f"bench-{run}-{i}@example.com",
                    "name": f"Bench Buyer {i}",
                    "accept_terms": "on",
                    **targets[cart.pk],
                }
                cookie = (
                    f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
                    f"{settings.CSRF_COOKIE_NAME}={csrf}"
                )
                requests.append(
                    {
                        "key": token,
                        "method": "POST",
                        "path": CHECKOUT_PATH,
                        "headers": {
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": cookie,
                        },
                        "body": urlencode(form),
                    }
                )
    return write_pool(out, requests)


def verify_checkout(sent: dict) -> dict:
    """One order per submitted form, with its lines, one history row and one session opened
    at the local gateway. Reads whole tables: the bench database is ours."""
    from collections import Counter

    from checkout.models import CheckoutSession
    from orders.models import Order, OrderLine, OrderStatusChange

    orders = {
        str(token): (pk, status, created_at.timestamp())
        for pk, token, status, created_at in Order.objects.values_list(
            "pk", "checkout_token", "status", "created_at"
        )
    }
    opened = Counter(
        CheckoutSession.objects.filter(provider_id__startswith="cs_local_").values_list(
            "order_id", flat=True
        )
    )
    sessions = Counter(CheckoutSession.objects.values_list("order_id", flat=True))
    lines = Counter(OrderLine.objects.values_list("order_id", flat=True))
    history = Counter(OrderStatusChange.objects.values_list("order_id", flat=True))
    found = [orders[t] for t in sent["keys"] if t in orders]
    return {
        "distinct_sent": len(sent["keys"]),
        "orders": len(found),
        "missing": len(sent["keys"]) - len(found),
        # Placed while wrk ran: requests still in flight at its end do not count.
        "measured_orders": sum(
            t in orders and orders[t][2] <= sent["measured_until"] for t in sent["measured_keys"]
        ),
        "orders_not_pending": sum(status != "pending" for _, status, _ in found),
        "orders_without_one_opened_session": sum(
            sessions[pk] != 1 or opened[pk] != 1 for pk, _, _ in found
        ),
        "orders_without_lines": sum(not lines[pk] for pk, _, _ in found),
        "orders_without_one_history_row": sum(history[pk] != 1 for pk, _, _ in found),
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command", choices=["webhook-pool", "checkout-pool", "verify-webhooks", "verify-checkout"]
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--sent", type=Path, help="what was sent (JSON), to verify")
    parser.add_argument("--out", type=Path, help="where to write the pool or the verification")
    args = parser.parse_args()
    setup_django()
    if args.command.endswith("-pool"):
        build = webhook_pool if args.command == "webhook-pool" else checkout_pool
        print(f"{args.command}: {build(args.count, args.out)} requests in {args.out}")
    else:
        verify = verify_webhooks if args.command == "verify-webhooks" else verify_checkout
        args.out.write_text(json.dumps(verify(json.loads(args.sent.read_text()))))


if __name__ == "__main__":
    main()
