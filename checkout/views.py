import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.forms import ConfiguratorForm
from catalog.selectors import bundle_get_active, product_get_for_pricing
from core.api import base_url
from core.exceptions import ApplicationError
from core.views import csrf_retryable
from orders.models import Order
from orders.notifications import order_link_valid

from .exceptions import GatewayError
from .forms import CartQuantityForm, CheckoutForm
from .gateways import get_gateway
from .gateways.local import session_object
from .models import CheckoutSession, SessionStatus
from .selectors import cart_view
from .services import (
    PAYABLE,
    cart_add,
    cart_add_bundle,
    cart_for_request,
    cart_remove,
    cart_update_quantity,
    checkout_submit,
    session_open_at_gateway,
    session_resume,
    session_transition,
)
from .webhooks import HandlerFailed, webhook_ingest

PLACED_ORDERS_KEY = "placed_orders"


def _remember_count(request, view) -> None:
    request.session["cart_count"] = view.count


# Cart -------------------------------------------------------------------------


@require_GET
def cart_detail(request):
    view = cart_view(cart=cart_for_request(request, create=False))
    _remember_count(request, view)
    return render(request, "checkout/cart.html", {"cart": view})


@csrf_retryable(action="Add to cart", review="catalog:product-detail")
@require_POST
def cart_add_item(request, slug):
    product = product_get_for_pricing(slug=slug)
    if product is None:
        raise Http404("No such service.")
    form = ConfiguratorForm(request.POST, product=product)
    if not form.is_valid():
        messages.error(
            request, "Please correct the highlighted choices before adding to your cart."
        )
        return redirect(product.get_absolute_url())
    try:
        cart_add(
            cart=cart_for_request(request, create=True),
            product=product,
            configuration=form.configuration(),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(product.get_absolute_url())
    messages.success(request, f"Added {product.title} to your cart.")
    return redirect("checkout:cart")


@csrf_retryable(action="Add the bundle to my cart")
@require_POST
def cart_bundle_add(request, bundle_id):
    """One more complete set of the bundle: services already in the cart join it as they are
    configured, missing ones are added; the saving applies in the cart."""
    bundle = bundle_get_active(pk=bundle_id)
    if bundle is None:
        messages.error(request, "That bundle is no longer offered.")
        return redirect("checkout:cart")
    try:
        cart_add_bundle(cart=cart_for_request(request, create=True), bundle=bundle)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Added {bundle.headline} to your cart.")
    return redirect("checkout:cart")


@require_POST
def cart_item_update(request, item_id):
    cart = cart_for_request(request, create=False)
    form = CartQuantityForm(request.POST)
    if cart is None or not form.is_valid():
        messages.error(request, "Enter a quantity of at least 1.")
        return redirect("checkout:cart")
    try:
        cart_update_quantity(cart=cart, item_id=item_id, quantity=form.cleaned_data["quantity"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Quantity updated.")
    return redirect("checkout:cart")


@require_POST
def cart_item_remove(request, item_id):
    cart = cart_for_request(request, create=False)
    if cart is not None and cart_remove(cart=cart, item_id=item_id):
        messages.success(request, "Removed from your cart.")
    return redirect("checkout:cart")


# Checkout ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = cart_for_request(request, create=False)
    view = cart_view(cart=cart)
    if request.method == "POST":
        form = CheckoutForm(request.POST, lines=view.lines)
        token = form.data.get("checkout_token", "")
        already = Order.objects.filter(checkout_token=token).first() if _is_uuid(token) else None
        if already is not None and _may_see(request, already):
            return redirect(_payment_url(request, already))  # a resubmitted form
        if not view.can_check_out:
            messages.error(request, "Your cart needs attention before checkout.")
            return redirect("checkout:cart")
        if form.is_valid():
            return _place(request, cart, form, view)
    else:
        if not view.can_check_out:
            messages.info(
                request,
                "Your cart needs attention before checkout."
                if view.lines
                else "Your cart is empty.",
            )
            return redirect("checkout:cart")
        initial = {}
        if request.user.is_authenticated:
            initial = {"email": request.user.email, "name": request.user.get_full_name()}
        form = CheckoutForm(lines=view.lines, initial=initial)
    return render(request, "checkout/checkout.html", {"cart": view, "form": form})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _place(request, cart, form, view):
    data = form.cleaned_data
    try:
        order, session, _ = checkout_submit(
            cart=cart,
            user=request.user,
            email=data["email"],
            name=data["name"],
            targets=form.targets(),
            checkout_token=data["checkout_token"],
            priced=view,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("checkout:cart")
    request.session[PLACED_ORDERS_KEY] = [
        order.number,
        *request.session.get(PLACED_ORDERS_KEY, []),
    ][:20]
    request.session["cart_count"] = 0
    try:
        session = session_open_at_gateway(session=session, base_url=base_url(request))
    except GatewayError as exc:
        messages.error(request, f"Your order {order.number} is saved. {exc.message}")
        return redirect(order.get_absolute_url())
    return redirect(session.url)


def _payment_url(request, order):
    latest = order.checkout_sessions.order_by("-attempt").first()
    if latest and latest.url and latest.status == SessionStatus.OPEN and not order.is_paid:
        return latest.url
    return order.get_absolute_url()


def _may_see(request, order) -> bool:
    if request.user.is_authenticated and (
        request.user.pk == order.user_id or request.user.is_staff
    ):
        return True
    return order.number in request.session.get(PLACED_ORDERS_KEY, [])


def _order_for(request, number):
    order = get_object_or_404(Order.objects.select_related("user"), number=number)
    session_ref = request.GET.get("session_id", "")
    via_session = (
        bool(session_ref) and order.checkout_sessions.filter(provider_id=session_ref).exists()
    )
    via_link = order_link_valid(number=number, token=request.GET.get("t", ""))
    if not (via_session or via_link or _may_see(request, order)):
        raise Http404("No such order.")
    return order


def _link_query(request) -> str:
    token = request.GET.get("t", "")
    return f"?{urlencode({'t': token})}" if token else ""


@require_GET
def order_status(request, number):
    token = request.GET.get("t", "")
    try:
        order = _order_for(request, number)
    except Http404:
        if not token:
            raise
        # A link from an order e-mail that has expired or was altered: say so, offer sign-in.
        login_url = f"{settings.LOGIN_URL}?{urlencode({'next': request.path})}"
        return render(
            request, "checkout/order_link_expired.html", {"login_url": login_url}, status=403
        )
    sessions = list(order.checkout_sessions.order_by("-attempt")[:5])
    invoice = order.invoices.filter(kind="order").first()
    return render(
        request,
        "checkout/order_status.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "latest_session": sessions[0] if sessions else None,
            "invoice": invoice,
            # Paying from the e-mail's link works too: the form carries the link's token.
            "link_query": _link_query(request),
            "awaiting_webhook": not order.is_paid
            and bool(sessions)
            and sessions[0].status == SessionStatus.COMPLETE,
        },
    )


@require_GET
def cancelled(request, number):
    order = _order_for(request, number)
    session_ref = request.GET.get("session_id", "")
    session = order.checkout_sessions.filter(provider_id=session_ref).first()
    if session is not None and session.status == SessionStatus.OPEN:
        session_transition(session=session.pk, to_status=SessionStatus.ABANDONED)
    messages.info(
        request, "Payment was cancelled. Your order is saved; you can pay whenever you are ready."
    )
    return redirect(order.get_absolute_url())


@require_POST
def resume_payment(request, number):
    order = _order_for(request, number)
    try:
        session = session_resume(order=order, base_url=base_url(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(order.get_absolute_url() + _link_query(request))
    return redirect(session.url)


# Local hosted checkout (the embedded default gateway) --------------------------------


@require_http_methods(["GET", "POST"])
def hosted_checkout(request, provider_id):
    # The simulated page marks orders paid on request: it exists only while no real gateway does.
    if settings.PAYMENT_GATEWAY != "local":
        raise Http404("The local checkout is not enabled.")
    session = get_object_or_404(
        CheckoutSession.objects.select_related("order"), provider_id=provider_id
    )
    refusal = _hosted_refusal(session)
    if request.method == "POST" and refusal is None:
        return _hosted_action(request, session, request.POST.get("action", ""))
    return render(
        request,
        "checkout/hosted.html",
        {
            "session": session,
            "order": session.order,
            "lines": list(session.order.lines.all()),
            "refusal": refusal,
        },
    )


def _hosted_refusal(session) -> str | None:
    """Why this page takes no payment (also when an old page's form is posted again)."""
    if session.order.is_paid:
        return f"Order {session.order.number} is already paid. Nothing was charged here."
    if session.status not in PAYABLE:
        return (
            f"This payment page is {session.get_status_display().lower()}. "
            "Nothing was charged here."
        )
    return None


def _hosted_action(request, session, action):
    order_url = session.order.get_absolute_url()
    if action == "cancel":
        return redirect(
            f"{reverse('checkout:cancelled', kwargs={'number': session.order.number})}?session_id={session.provider_id}"
        )
    events = {
        "pay": [("checkout.session.completed", "complete", "paid")],
        "pay_delayed": [
            ("checkout.session.completed", "complete", "unpaid"),
            ("checkout.session.async_payment_succeeded", "complete", "paid"),
        ],
        "expire": [("checkout.session.expired", "expired", "unpaid")],
    }.get(action)
    if events is None:
        messages.error(request, "Choose pay, cancel or let the session expire.")
        return redirect(session.url)
    gateway = get_gateway()
    for event_type, status, payment_status in events:
        payload, signature = gateway.signed_event(
            event_type, session_object(session, status=status, payment_status=payment_status)
        )
        try:
            webhook_ingest(payload=payload, signature_header=signature)
        except HandlerFailed:
            messages.error(request, "The payment could not be recorded; please try again.")
            return redirect(session.url)
    return redirect(f"{order_url}?session_id={session.provider_id}")
