"""Cart, checkout and hosted-session lifecycle writes."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import BillingMode, Bundle, Product
from catalog.pricing import Configuration, default_configuration, price_configuration
from catalog.selectors import pricing_version, product_get_for_pricing, products_for_pricing
from orders.models import Order
from orders.services import order_place

from .exceptions import CartError, CheckoutError, SessionNotRegenerable
from .gateways import LineItem, SessionRequest, get_gateway
from .models import Cart, CartItem, CheckoutSession, SessionStatus
from .selectors import CartView, cart_view
from .transitions import SESSION_TRANSITIONS

logger = logging.getLogger(__name__)

CART_TOKEN_KEY = "cart_token"
MAX_CART_ITEMS = 20


# Cart -----------------------------------------------------------------------


def cart_for_request(request, *, create: bool) -> Cart | None:
    """The signed-in client's cart, or the visitor's (keyed by a token kept in the session)."""
    if request.user.is_authenticated:
        if create:
            return Cart.objects.get_or_create(user=request.user)[0]
        return Cart.objects.filter(user=request.user).first()
    token = request.session.get(CART_TOKEN_KEY)
    if token:
        cart = Cart.objects.filter(session_key=token).first()
        if cart or not create:
            return cart
    if not create:
        return None
    token = uuid.uuid4().hex
    request.session[CART_TOKEN_KEY] = token
    return Cart.objects.create(session_key=token)


def _check_room(cart: Cart, adding: int = 1) -> None:
    if cart.items.count() + adding > MAX_CART_ITEMS:
        raise CartError(
            f"A cart holds up to {MAX_CART_ITEMS} services; check out or remove some first."
        )


@transaction.atomic
def cart_add(
    *, cart: Cart, product: Product, configuration: Configuration, bundle: Bundle | None = None
) -> CartItem:
    """Add a configured product after validating it with the pricing service.

    The same configuration bought on its own again raises that line's quantity; a line that
    is part of a bundle stays one set's line, so `bundle` always gives a new line.
    """
    price_configuration(product=product, configuration=configuration, campaigns=[])
    _check_room(cart)
    data = configuration.as_dict()
    if bundle is None:
        for item in cart.items.filter(product=product, bundle__isnull=True):
            if {k: v for k, v in item.configuration.items() if k != "quantity"} == {
                k: v for k, v in data.items() if k != "quantity"
            }:
                quantity = min(
                    item.configuration.get("quantity", 1) + configuration.quantity,
                    product.max_quantity,
                )
                item.configuration = {**item.configuration, "quantity": quantity}
                item.save(update_fields=["configuration", "updated_at"])
                return item
    return CartItem.objects.create(cart=cart, product=product, configuration=data, bundle=bundle)


@transaction.atomic
def cart_add_bundle(*, cart: Cart, bundle: Bundle) -> list[CartItem]:
    """Complete one more set of `bundle` in the cart: lines already there on their own (in a
    billing mode the bundle accepts) join it as configured, and only the services still
    missing are added, in their default configuration. Returns the set's lines."""
    products = products_for_pricing(
        [item.product_id for item in bundle.items.all()], version=pricing_version()
    )
    free = list(cart.items.select_for_update().filter(bundle__isnull=True).order_by("pk"))
    joined, missing = [], []
    for bundle_item in bundle.items.all():
        product = products.get(bundle_item.product_id)
        if product is None or not product.is_active:
            raise CartError(f"{bundle.headline} includes a service that is no longer offered.")
        line = next(
            (
                item
                for item in free
                if item.product_id == product.pk
                and bundle.accepts(item.configuration.get("billing", BillingMode.ONE_OFF))
            ),
            None,
        )
        if line is None:
            missing.append(product)
        else:
            free.remove(line)
            joined.append(line)
    _check_room(cart, len(missing))
    for line in joined:
        line.bundle = bundle
        line.save(update_fields=["bundle", "updated_at"])
    added = [
        cart_add(
            cart=cart,
            product=product,
            configuration=replace(
                default_configuration(product),
                billing=product.default_billing
                if bundle.billing == Bundle.Billing.ANY
                else bundle.billing,
            ),
            bundle=bundle,
        )
        for product in missing
    ]
    return joined + added


@transaction.atomic
def cart_update_quantity(*, cart: Cart, item_id: int, quantity: int) -> CartItem:
    item = cart.items.select_related("product").filter(pk=item_id).first()
    if item is None:
        raise CartError("That item is no longer in your cart.", code="cart_item_missing")
    product = product_get_for_pricing(pk=item.product_id, active_only=False)
    configuration = Configuration.from_dict({**item.configuration, "quantity": quantity})
    price_configuration(product=product, configuration=configuration, campaigns=[])
    item.configuration = configuration.as_dict()
    item.save(update_fields=["configuration", "updated_at"])
    return item


def cart_remove(*, cart: Cart, item_id: int) -> bool:
    deleted, _ = cart.items.filter(pk=item_id).delete()
    return bool(deleted)


@transaction.atomic
def cart_merge(*, source: Cart, target: Cart) -> int:
    """Move a visitor's items into the client's cart on sign-in (identical items combine)."""
    moved = 0
    for item in source.items.select_related("product", "bundle"):
        try:
            configuration = Configuration.from_dict(item.configuration)
            cart_add(
                cart=target,
                product=product_get_for_pricing(pk=item.product_id, active_only=False),
                configuration=configuration,
                bundle=item.bundle,
            )
            moved += 1
        except Exception as exc:  # noqa: BLE001 - an item that stopped being valid is dropped
            logger.info("cart merge dropped item %s: %s", item.pk, exc)
    source.delete()
    return moved


# Checkout ---------------------------------------------------------------------


def _account_for(email: str, name: str, user):
    """The signed-in client, or the account for this e-mail (created for guests)."""
    if user is not None and user.is_authenticated:
        return user, False
    User = get_user_model()
    existing = User.objects.filter(email__iexact=email).order_by("pk").first()
    if existing is not None:
        return existing, False
    first, _, last = name.partition(" ")
    account = User(
        username=email.lower()[:150],
        email=email.lower(),
        first_name=first[:150],
        last_name=last[:150],
    )
    account.set_unusable_password()
    account.save()
    return account, True


@transaction.atomic
def checkout_submit(
    *,
    cart: Cart,
    user,
    email: str,
    name: str,
    targets: dict[int, str],
    checkout_token: uuid.UUID,
    priced: CartView | None = None,
) -> tuple[Order, CheckoutSession, bool]:
    """Order + first CheckoutSession in one transaction; (order, session, created).

    The order copies the cart's `price_cart` result; nothing is priced here. A resubmitted form (same token) gets the
    order it already created, never a second one (the token is unique; `order_place` hands
    back the order that holds it). `priced` is the cart as the same request just priced it,
    to avoid pricing it twice.
    """
    view = priced if priced is not None else cart_view(cart=cart)
    if not view.lines:
        raise CheckoutError("Your cart is empty.", code="cart_empty")
    if not view.can_check_out:
        raise CheckoutError("Your cart needs attention before checkout.", code="cart_invalid")
    for line in view.lines:
        if not targets.get(line.item.pk, "").strip():
            raise CheckoutError(
                f"Tell us which account to grow for {line.product.title}.", code="target_missing"
            )
    account, _ = _account_for(email, name, user)
    order, created = order_place(
        user=account,
        email=email,
        name=name,
        pricing=view.pricing,
        targets={key: target.strip() for key, target in targets.items()},
        checkout_token=checkout_token,
    )
    if not created:
        return order, order.checkout_sessions.order_by("-attempt").first(), False
    session = _session_create(order=order, attempt=1)
    cart.items.all().delete()
    return order, session, True


def _session_create(
    *, order: Order, attempt: int, regenerated_from: CheckoutSession | None = None
) -> CheckoutSession:
    return CheckoutSession.objects.create(
        order=order,
        gateway=settings.PAYMENT_GATEWAY,
        mode="subscription" if order.is_subscription else "payment",
        attempt=attempt,
        idempotency_key=f"checkout-{order.number}-attempt-{attempt}",
        amount_total=order.total_amount,
        currency=order.currency,
        expires_at=timezone.now() + timedelta(minutes=settings.CHECKOUT_SESSION_TTL_MINUTES),
        regenerated_from=regenerated_from,
    )


def session_open_at_gateway(*, session: CheckoutSession, base_url: str) -> CheckoutSession:
    """Ask the gateway for the hosted page. Outside any transaction: it is a network call.

    Safe to repeat: the idempotency key makes Stripe return the same session for the attempt.
    """
    if session.provider_id:
        return session
    order = session.order
    success = base_url + reverse("checkout:order-status", kwargs={"number": order.number})
    request = SessionRequest(
        checkout_session_id=session.pk,
        order_id=order.pk,
        order_number=order.number,
        mode=session.mode,
        customer_email=order.email,
        lines=tuple(
            LineItem(
                name=f"{line.title} × {line.quantity}",
                description=f"{line.description} — for {line.target}"[:500]
                if line.description
                else f"For {line.target}",
                amount=line.total_amount,
                currency=line.currency,
                interval=line.interval or None,
            )
            for line in order.lines.all()
        ),
        success_url=success + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=base_url
        + reverse("checkout:cancelled", kwargs={"number": order.number})
        + "?session_id={CHECKOUT_SESSION_ID}",
        expires_at=session.expires_at,
        idempotency_key=session.idempotency_key,
    )
    hosted = get_gateway().create_session(request)
    CheckoutSession.objects.filter(pk=session.pk).update(
        provider_id=hosted.provider_id, url=hosted.url
    )
    session.provider_id, session.url = hosted.provider_id, hosted.url
    return session


# Session lifecycle --------------------------------------------------------------


@transaction.atomic(savepoint=False)  # never recovers from its own errors
def session_transition(
    *, session: CheckoutSession | int, to_status: str, **fields
) -> tuple[CheckoutSession, bool]:
    """Move a hosted session along its graph; (session, changed). Repeats are no-ops.

    `session` is a pk, or a row the caller already locked with `select_for_update()` in
    this transaction.
    """
    if isinstance(session, int):
        session = CheckoutSession.objects.select_for_update().get(pk=session)
    for name, value in fields.items():
        setattr(session, name, value)
    changed = False
    if session.status != to_status and to_status in SESSION_TRANSITIONS[session.status]:
        session.status = to_status
        now = timezone.now()
        if to_status == SessionStatus.COMPLETE:
            session.completed_at = now
        else:
            session.closed_at = now
        changed = True
    session.save(update_fields=["status", "completed_at", "closed_at", "updated_at", *fields])
    return session, changed


def session_resume(*, order: Order, base_url: str) -> CheckoutSession:
    """The customer's way back to payment: the open session if still usable, else a new one."""
    if order.is_paid:
        raise SessionNotRegenerable("This order is already paid.")
    latest = order.checkout_sessions.order_by("-attempt").first()
    if latest is None:
        raise SessionNotRegenerable("This order has no payment session.")
    # An opened page is worth reusing while it lives; an attempt never opened at the gateway
    # can only be opened if Stripe's 30-minute minimum lifetime still fits.
    margin = timedelta(minutes=2 if latest.provider_id else 31)
    if latest.status == SessionStatus.OPEN and latest.expires_at > timezone.now() + margin:
        return session_open_at_gateway(session=latest, base_url=base_url)
    return session_regenerate(session_id=latest.pk, base_url=base_url)


def session_regenerate(*, session_id: int, base_url: str) -> CheckoutSession:
    """A fresh hosted session for the same unpaid order; the old one is closed at the gateway."""
    with transaction.atomic():
        old = CheckoutSession.objects.select_for_update().select_related("order").get(pk=session_id)
        order = Order.objects.select_for_update().get(pk=old.order_id)
        if order.is_paid or old.status == SessionStatus.COMPLETE:
            raise SessionNotRegenerable(
                "This order is already paid; there is nothing to regenerate."
            )
        if order.status != "pending":
            raise SessionNotRegenerable(
                f"Order {order.number} is {order.get_status_display().lower()}."
            )
        latest = order.checkout_sessions.order_by("-attempt").first()
        if latest.pk != old.pk and latest.regenerated_from_id == old.pk:
            new = latest  # regenerated already (a repeated request): hand back the same one
        else:
            new = _session_create(order=order, attempt=latest.attempt + 1, regenerated_from=latest)
        if old.status == SessionStatus.OPEN:
            old.status, old.closed_at = SessionStatus.EXPIRED, timezone.now()
            old.save(update_fields=["status", "closed_at", "updated_at"])
    if old.provider_id:
        try:
            get_gateway().expire_session(old.provider_id)
        except Exception:  # noqa: BLE001 - the old page is unusable either way
            logger.warning("could not expire %s at the gateway", old.provider_id, exc_info=True)
    return session_open_at_gateway(session=new, base_url=base_url)


def sessions_sweep(*, now=None) -> dict[str, int]:
    """Expire hosted sessions past their expiry (plus grace) that no webhook closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHECKOUT_SWEEP_GRACE_MINUTES)
    due = CheckoutSession.objects.filter(
        status__in=[SessionStatus.OPEN, SessionStatus.ABANDONED], expires_at__lt=cutoff
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due[:1000]):
        _, changed = session_transition(session=pk, to_status=SessionStatus.EXPIRED)
        expired += int(changed)
    return {"expired": expired}
