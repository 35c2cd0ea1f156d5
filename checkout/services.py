"""Cart, checkout and hosted-session lifecycle writes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from billing.services import refund_record, refund_record_cumulative
from catalog.models import BillingMode, Bundle, Product
from catalog.pricing import Configuration, default_configuration, price_configuration
from catalog.selectors import pricing_version, product_get_for_pricing, products_for_pricing
from core.audit import AuditTarget, audit_record
from core.backoff import RetryPolicy
from core.jobs import claim_due
from core.models import Via
from orders.models import Order, OrderStatus
from orders.notifications import notification_queue
from orders.services import order_place, order_transition
from orders.transitions import can_transition

from .exceptions import (
    CartError,
    CheckoutError,
    GatewayError,
    RefundRefused,
    SessionNotExpirable,
    SessionNotRegenerable,
)
from .gateways import LineItem, SessionRequest, get_gateway
from .models import (
    Cart,
    CartItem,
    CheckoutSession,
    DuplicatePayment,
    PaymentStatus,
    RefundLookup,
    SessionStatus,
)
from .selectors import CartLine, CartView, cart_view, session_latest
from .transitions import DUPLICATE_PAYMENT_TRANSITIONS, SESSION_TRANSITIONS

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
    targets: Mapping[int, Sequence[str]],
    checkout_token: uuid.UUID,
    priced: CartView | None = None,
    visitor_id: str = "",
) -> tuple[Order, CheckoutSession, bool]:
    """Order + first CheckoutSession in one transaction; (order, session, created).

    The order copies the cart's `price_cart` result; nothing is priced here. `targets` names
    each cart line's accounts: one per unit for a per-account service, else one. A
    resubmitted form (same token) gets the order it already created, never a second one (the
    token is unique; `order_place` hands back the order that holds it). `priced` is the cart
    as the same request just priced it, to avoid pricing it twice.
    """
    view = priced if priced is not None else cart_view(cart=cart)
    if not view.lines:
        raise CheckoutError("Your cart is empty.", code="cart_empty")
    if not view.can_check_out:
        raise CheckoutError("Your cart needs attention before checkout.", code="cart_invalid")
    accounts = {
        line.item.pk: _line_targets(line, targets.get(line.item.pk, ())) for line in view.lines
    }
    account, _ = _account_for(email, name, user)
    order, created = order_place(
        user=account,
        email=email,
        name=name,
        pricing=view.pricing,
        targets=accounts,
        checkout_token=checkout_token,
        visitor_id=visitor_id,
    )
    if not created:
        return order, session_latest(order=order), False
    session = _session_create(order=order, attempt=1)
    cart.items.all().delete()
    return order, session, True


def _line_targets(line: CartLine, targets: Sequence[str]) -> list[str]:
    """The line's accounts, checked again here: as many as it is delivered to, all distinct."""
    accounts = [target.strip() for target in targets]
    needed = line.targets_needed
    if len(accounts) < needed or not all(accounts):
        raise CheckoutError(
            f"Tell us which account to grow for {line.label}"
            + (f": {needed} accounts, one for each delivery." if needed > 1 else "."),
            code="target_missing",
        )
    if len(accounts) > needed:
        raise CheckoutError(
            f"{line.label} is delivered to {needed} account{'s' if needed > 1 else ''}, "
            f"not {len(accounts)}.",
            code="targets_count",
        )
    if len({account.casefold() for account in accounts}) < len(accounts):
        raise CheckoutError(
            f"An account is listed twice for {line.label}: each account gets its own delivery.",
            code="target_duplicate",
        )
    return accounts


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


def session_resume(*, order: Order, base_url: str, actor=None) -> CheckoutSession:
    """The customer's way back to payment: the open session if still usable, else a new one.
    `actor` is the signed-in customer (None for a visitor with the order's signed link)."""
    if order.is_paid:
        raise SessionNotRegenerable("This order is already paid.")
    latest = session_latest(order=order)
    if latest is None:
        raise SessionNotRegenerable("This order has no payment session.")
    # An opened page is worth reusing while it lives; an attempt never opened at the gateway
    # can only be opened if Stripe's 30-minute minimum lifetime still fits.
    margin = timedelta(minutes=2 if latest.provider_id else 31)
    if latest.status == SessionStatus.OPEN and latest.expires_at > timezone.now() + margin:
        return session_open_at_gateway(session=latest, base_url=base_url)
    return session_regenerate(
        session_id=latest.pk, base_url=base_url, actor=actor, via=Via.CUSTOMER
    )


# Sessions the customer could still pay at the gateway (a cancelled Stripe session stays open).
PAYABLE = (SessionStatus.OPEN, SessionStatus.ABANDONED)


def session_regenerate(
    *, session_id: int, base_url: str, actor=None, via: str = Via.SYSTEM
) -> CheckoutSession:
    """A fresh hosted session for the same unpaid order (the staff view, the admin, the API
    and the customer's "pay now" all come here); audited as `actor` through `via`.

    Every earlier session that could still be paid is expired at the gateway first, outside
    any transaction, so an order never has two payable pages. If the gateway says one was
    paid meanwhile, no new session is opened: the order is being paid.
    """
    old = CheckoutSession.objects.select_related("order").get(pk=session_id)
    _ensure_payable(old.order, old.order.checkout_sessions.all())
    latest = session_latest(order=old.order)
    if latest.regenerated_from_id == old.pk and latest.status in PAYABLE:
        return session_open_at_gateway(session=latest, base_url=base_url)  # a repeated request
    closed = set()
    gateway = get_gateway()
    for earlier in old.order.checkout_sessions.filter(status__in=PAYABLE):
        if earlier.provider_id and gateway.expire_session(earlier.provider_id) == "complete":
            raise SessionNotRegenerable(
                "A payment for this order was just completed; it is being confirmed."
            )
        closed.add(earlier.pk)
    with transaction.atomic():
        # Sessions before the order, as the webhook handlers lock them.
        sessions = list(
            CheckoutSession.objects.select_for_update()
            .filter(order_id=old.order_id)
            .order_by("attempt")
        )
        order = Order.objects.select_for_update().get(pk=old.order_id)
        _ensure_payable(order, sessions)
        latest = sessions[-1]
        if latest.status in PAYABLE and latest.pk not in closed:
            new = latest  # a concurrent request opened it a moment ago
        else:
            for earlier in sessions:
                if earlier.status in PAYABLE:
                    session_transition(session=earlier, to_status=SessionStatus.EXPIRED)
            new = _session_create(order=order, attempt=latest.attempt + 1, regenerated_from=latest)
            audit_record(
                actor=actor,
                via=via,
                action="session.regenerate",
                targets=[AuditTarget.of(new, f"{order.number} attempt {new.attempt}")],
                detail=f"Replaces attempt {latest.attempt}.",
            )
    return session_open_at_gateway(session=new, base_url=base_url)


def session_expire(*, session_id: int, actor=None, via: str = Via.SYSTEM) -> CheckoutSession:
    """Close an open hosted session now (staff): at the gateway first, outside any
    transaction, then here. Only an open session can be expired; any other is refused."""
    session = CheckoutSession.objects.select_related("order").get(pk=session_id)
    _ensure_open(session)
    if session.provider_id and get_gateway().expire_session(session.provider_id) == "complete":
        raise SessionNotExpirable(
            f"The payment for {session.order.number} was just completed; it is being confirmed."
        )
    with transaction.atomic():
        session = (
            CheckoutSession.objects.select_for_update().select_related("order").get(pk=session_id)
        )
        _ensure_open(session)
        session, _ = session_transition(session=session, to_status=SessionStatus.EXPIRED)
        audit_record(
            actor=actor,
            via=via,
            action="session.expire",
            targets=[AuditTarget.of(session, f"{session.order.number} attempt {session.attempt}")],
        )
    return session


def _ensure_open(session: CheckoutSession) -> None:
    if session.status != SessionStatus.OPEN:
        raise SessionNotExpirable(
            f"Attempt {session.attempt} of {session.order.number} is "
            f"{session.get_status_display().lower()}: only an open session can be expired."
        )


def payment_link_resend(
    *, session_id: int, base_url: str, actor=None, via: str = Via.SYSTEM
) -> CheckoutSession:
    """Send the customer a new way to pay: the order's payable sessions are expired, a new
    one is opened and linked to them (`session_regenerate`), and an e-mail with the order's
    signed link (whose "Pay now" opens the new session) goes out through the order e-mail
    queue, never from this request."""
    new = session_regenerate(session_id=session_id, base_url=base_url, actor=actor, via=via)
    with transaction.atomic():
        notification_queue(order=new.order, to_status=OrderStatus.PENDING)
        audit_record(
            actor=actor,
            via=via,
            action="payment_link.resend",
            targets=[AuditTarget.of(new, f"{new.order.number} attempt {new.attempt}")],
            detail=f"E-mailed to {new.order.email}.",
        )
    return new


def _ensure_payable(order: Order, sessions) -> None:
    """Refuse a new payment page for a paid order, one being paid, or one not awaiting payment."""
    if order.is_paid or any(
        s.status == SessionStatus.COMPLETE and s.payment_status != PaymentStatus.FAILED
        for s in sessions
    ):
        raise SessionNotRegenerable("This order is already paid; there is nothing to regenerate.")
    if order.status != "pending":
        raise SessionNotRegenerable(
            f"Order {order.number} is {order.get_status_display().lower()}."
        )


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


# Work finished at the gateway after the event's transaction ------------------------------

FOLLOW_UP_LEASE_SECONDS = 300  # a claimed attempt's hold while the gateway answers
FOLLOW_UP_RETRY = RetryPolicy(base=60.0, cap=3600.0, max_attempts=8)


def gateway_follow_ups_due(*, limit: int = 20) -> int:
    """Refunds of second payments and refund lookups that are due; worker loops call this.

    Both normally run right after the event that needs them commits; this retries the ones
    the gateway did not answer.
    """
    return duplicate_payments_refund_due(limit=limit) + refund_lookups_due(limit=limit)


def _retry_at(attempt: int):
    return timezone.now() + timedelta(seconds=FOLLOW_UP_RETRY.delay(attempt))


def _claim(model, *, pk: int | None):
    """Take one due row for an attempt: count it and hold it for the lease, then commit."""
    due = model.objects.filter(next_attempt_at__lte=timezone.now())
    if pk is not None:
        due = due.filter(pk=pk)
    ids = claim_due(
        due.order_by("next_attempt_at", "pk"),
        limit=1,
        lease_seconds=FOLLOW_UP_LEASE_SECONDS,
        lease_field="next_attempt_at",
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    return model.objects.get(pk=ids[0]) if ids else None


def _attempt_due(model, attempt, *, pk: int | None, limit: int) -> int:
    """Claim due rows of `model` one by one (just `pk`, if given) and `attempt` each; returns
    the attempts made."""
    made = 0
    for _ in range(1 if pk is not None else limit):
        row = _claim(model, pk=pk)
        if row is None:
            break
        attempt(row)
        made += 1
    return made


# Second payments (an order paid through two sessions) --------------------------------------


@transaction.atomic(savepoint=False)  # the event's transaction
def duplicate_payment_record(
    *, session: CheckoutSession, payment_intent: str, amount: int, currency: str, subscription=""
) -> DuplicatePayment:
    """Record a payment for an order another session had paid; its refund follows the commit.

    Nothing else happens for it: no invoice, no fulfillment, the order keeps its status.
    """
    automatic = bool(payment_intent)
    record, created = DuplicatePayment.objects.get_or_create(
        session=session,
        defaults={
            "order_id": session.order_id,
            "payment_intent": payment_intent[:255],
            "amount": amount,
            "currency": currency.upper()[:3],
            "status": DuplicatePayment.Status.PENDING
            if automatic
            else DuplicatePayment.Status.FAILED,
            "next_attempt_at": timezone.now() if automatic else None,
            "last_error": ""
            if automatic
            else f"A second subscription {subscription} was started: cancel it and refund its "
            "first payment at the payment provider.",
        },
    )
    if created:
        logger.warning(
            "order %s paid a second time through session %s (%s)",
            session.order_id,
            session.provider_id,
            payment_intent or subscription,
        )
        if automatic:
            transaction.on_commit(partial(duplicate_payments_refund_due, pk=record.pk), robust=True)
    return record


def duplicate_payments_refund_due(*, pk: int | None = None, limit: int = 20) -> int:
    """Refund due second payments through the gateway, outside any transaction; attempts made.

    The idempotency key follows from the payment intent, so a retry after an unknown
    outcome (timeout, 5xx, a worker that died) can never refund twice.
    """
    return _attempt_due(DuplicatePayment, _duplicate_refund, pk=pk, limit=limit)


def _duplicate_refund(record: DuplicatePayment) -> None:
    status, fields = DuplicatePayment.Status.FAILED, {"next_attempt_at": None}
    try:
        refund_id = get_gateway().refund_payment(
            payment_intent=record.payment_intent,
            amount=record.amount,
            idempotency_key=f"duplicate-payment-refund-{record.payment_intent}",
        )
    except RefundRefused as exc:
        if exc.code == "charge_already_refunded":
            status, fields["last_error"] = DuplicatePayment.Status.REFUNDED, "Refunded already."
        else:
            fields["last_error"] = f"Refused by the gateway: {exc.message}"[:500]
    except GatewayError as exc:
        fields["last_error"] = f"Attempt {record.attempts}: {exc.message}"[:500]
        if not FOLLOW_UP_RETRY.exhausted(record.attempts):
            status, fields["next_attempt_at"] = record.status, _retry_at(record.attempts)
    else:
        status = DuplicatePayment.Status.REFUNDED
        fields.update(refund_id=refund_id[:255], last_error="", refunded_at=timezone.now())
    duplicate_payment_transition(pk=record.pk, to_status=status, **fields)


@transaction.atomic
def duplicate_payment_transition(*, pk: int, to_status: str, **fields) -> DuplicatePayment:
    """Move a second payment's refund along its graph; the only writer of its status."""
    record = DuplicatePayment.objects.select_for_update().get(pk=pk)
    if to_status != record.status and to_status not in DUPLICATE_PAYMENT_TRANSITIONS[record.status]:
        raise CheckoutError(
            f"A refund that is {record.get_status_display().lower()} cannot become "
            f"{DuplicatePayment.Status(to_status).label.lower()}.",
            code="invalid_transition",
        )
    record.status = to_status
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=["status", "updated_at", *fields])
    return record


def duplicate_payments_retry_now(*, pks) -> int:
    """Send failed automatic refunds back to the gateway with the next worker pass (staff)."""
    failed = DuplicatePayment.objects.filter(
        pk__in=pks, status=DuplicatePayment.Status.FAILED
    ).exclude(payment_intent="")
    retried = 0
    for pk in failed.values_list("pk", flat=True):
        duplicate_payment_transition(
            pk=pk, to_status=DuplicatePayment.Status.PENDING, next_attempt_at=timezone.now()
        )
        retried += 1
    return retried


# Refunds whose invoice only the gateway can name ---------------------------------------------


@transaction.atomic(savepoint=False)  # the event's transaction
def refund_lookup_record(*, event_id: str, charge: dict) -> None:
    """Remember a refunded charge to match once the gateway names its invoice (after commit)."""
    lookup, created = RefundLookup.objects.get_or_create(
        event_id=event_id, defaults={"charge": charge, "next_attempt_at": timezone.now()}
    )
    if created:
        transaction.on_commit(partial(refund_lookups_due, pk=lookup.pk), robust=True)


def refund_lookups_due(*, pk: int | None = None, limit: int = 20) -> int:
    """Ask the gateway which invoice each refunded payment paid (outside any transaction),
    then apply the refund in a short transaction; lookups made."""
    return _attempt_due(RefundLookup, _refund_lookup, pk=pk, limit=limit)


def _refund_lookup(lookup: RefundLookup) -> None:
    try:
        provider_invoice = get_gateway().invoice_for_payment(lookup.charge["payment_intent"])
    except GatewayError as exc:
        retry = not FOLLOW_UP_RETRY.exhausted(lookup.attempts)
        RefundLookup.objects.filter(pk=lookup.pk).update(
            next_attempt_at=_retry_at(lookup.attempts) if retry else None,
            last_error=f"Attempt {lookup.attempts}: {exc.message}"[:500],
            updated_at=timezone.now(),
        )
        return
    _refund_lookup_finish(lookup.pk, provider_invoice)


@transaction.atomic(durable=True)
def _refund_lookup_finish(pk: int, provider_invoice: str | None) -> None:
    lookup = RefundLookup.objects.select_for_update().get(pk=pk)
    if lookup.done_at is not None:
        return  # another worker finished it after this one's lease ran out
    invoice = (
        Invoice.objects.filter(
            Q(provider_invoice_id=provider_invoice) | Q(payment_reference=provider_invoice)
        )
        .order_by("-issued_at")
        .first()
        if provider_invoice
        else None
    )
    if invoice is not None:
        charge_refund_apply(invoice=invoice, charge=lookup.charge)
    lookup.next_attempt_at, lookup.done_at = None, timezone.now()
    lookup.last_error = "" if invoice else "No invoice here was paid by this payment."
    lookup.save(update_fields=["next_attempt_at", "done_at", "last_error", "updated_at"])


@transaction.atomic(savepoint=False)
def charge_refund_apply(*, invoice: Invoice, charge: dict) -> None:
    """Record a refunded charge's refunds on the invoice it paid; a full refund of the
    order's own payment refunds the order."""
    currency = str(charge.get("currency") or invoice.currency)
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    for refund in refunds:
        refund_record(
            invoice=invoice,
            provider_id=str(refund["id"]),
            amount=int(refund.get("amount") or 0),
            currency=str(refund.get("currency") or currency),
            reason=str(refund.get("reason") or ""),
        )
    if not refunds:  # newer API versions leave the refund list out of the charge
        refund_record_cumulative(
            invoice=invoice,
            charge_id=str(charge.get("id")),
            total_refunded=int(charge.get("amount_refunded") or 0),
            currency=currency,
        )
    invoice.refresh_from_db()
    order = Order.objects.get(pk=invoice.order_id)
    # A refunded renewal gives back one period; only the order's own payment refunds the order.
    if (
        invoice.kind == Invoice.Kind.ORDER
        and invoice.status == Invoice.Status.REFUNDED
        and can_transition(order.status, OrderStatus.REFUNDED)
    ):
        order_transition(
            order_id=order.pk,
            to_status=OrderStatus.REFUNDED,
            source="webhook:charge.refunded",
            reason="Payment refunded in full",
        )
