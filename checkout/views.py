import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.forms import ConfiguratorForm
from catalog.selectors import bundle_get_active, product_get_for_pricing
from core.api import base_url, json_error
from core.exceptions import ApplicationError
from core.views import csrf_retryable
from core.visitors import visitor_id_known
from orders.models import Order, OrderStatus
from orders.notifications import order_link_valid

from .events import cart_items_added
from .exceptions import GatewayError
from .forms import CartQuantityForm, CheckoutForm
from .gateways import get_gateway
from .gateways.local import session_object
from .models import CheckoutSession, PaymentStatus, SessionStatus
from .order_page import order_page, order_state_get
from .selectors import cart_view, order_payment_plan, session_latest
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
def cart_add_item(request, slug, *, refused=None):
    """Add a configured service. A refusal keeps the customer's choices: the product page,
    which composes itself in a layer above, passes `refused(request, slug, form=…, error=…)`
    to answer with itself; a post from anywhere else goes to that page with the choices."""
    product = product_get_for_pricing(slug=slug)
    if product is None:
        raise Http404("No such service.")
    form = ConfiguratorForm(request.POST, product=product)
    error = None
    if form.is_valid():
        try:
            cart_add(
                cart=cart_for_request(request, create=True),
                product=product,
                configuration=form.configuration(),
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"Added {product.title} to your cart.")
            cart_items_added.send(sender=None, request=request, product_ids=[product.pk])
            return redirect("checkout:cart")
    if refused is not None:
        return refused(request, slug, form=form, error=error)
    messages.error(
        request, error or "Please correct the highlighted choices before adding to your cart."
    )
    return redirect(form.choices_url())


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
        cart_items_added.send(
            sender=None,
            request=request,
            product_ids=[item.product_id for item in bundle.items.all()],
        )
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
        order, session, created = checkout_submit(
            cart=cart,
            user=request.user,
            email=data["email"],
            name=data["name"],
            targets=form.targets(),
            checkout_token=data["checkout_token"],
            priced=view,
            visitor_id=visitor_id_known(request),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("checkout:cart")
    if not created and not _may_see(request, order):
        # The token placed an order this visitor may not open (someone else's form, or a twin
        # submit whose first half has not finished): name nothing of it, keep the cart.
        messages.error(
            request,
            "This checkout form was already sent. The order's confirmation e-mail has its link.",
        )
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
    latest = session_latest(order=order)
    if latest and latest.url and latest.status == SessionStatus.OPEN and not order.is_paid:
        return latest.url
    return order.get_absolute_url()


def _may_see(request, order) -> bool:
    if request.user.is_authenticated and (
        request.user.pk == order.user_id or request.user.is_staff
    ):
        return True
    return order.number in request.session.get(PLACED_ORDERS_KEY, [])


def _session_ref(request) -> str:
    """The provider's session id the payment page returned with; one holding NUL names no
    session (and PostgreSQL refuses it in a query)."""
    ref = request.GET.get("session_id", "")
    return "" if "\x00" in ref else ref


def _order_for(request, number):
    order = get_object_or_404(Order.objects.select_related("user"), number=number)
    session_ref = _session_ref(request)
    via_session = (
        bool(session_ref) and order.checkout_sessions.filter(provider_id=session_ref).exists()
    )
    via_link = order_link_valid(number=number, token=request.GET.get("t", ""))
    if not (via_session or via_link or _may_see(request, order)):
        raise Http404("No such order.")
    return order


def _link_query(request) -> str:
    """The proof of access the order page was opened with (an e-mail's token, or the session
    id the payment page returned with), for the forms and links it leads to."""
    proof = {key: request.GET[key] for key in ("t", "session_id") if request.GET.get(key)}
    return f"?{urlencode(proof)}" if proof else ""


@require_GET
def order_status(request, number):
    try:
        order = _order_for(request, number)
    except Http404:
        if not request.GET.get("t", ""):
            raise
        # A link from an order e-mail that has expired or was altered: say so, offer sign-in.
        login_url = f"{settings.LOGIN_URL}?{urlencode({'next': request.path})}"
        return render(
            request, "checkout/order_link_expired.html", {"login_url": login_url}, status=403
        )
    view = order_page(order=order)
    return render(
        request,
        "checkout/order_status.html",
        {
            "page": view,
            "order": order,
            "state": view.state,
            "link_query": _link_query(request),
            # The simulated gateway plays the bank too: its page confirms or rejects a transfer.
            "bank_simulator_url": view.latest_session.url
            if settings.PAYMENT_GATEWAY == "local" and view.state.key == "payment_pending"
            else "",
        },
    )


@require_GET
def order_state_json(request, number):
    """The order page's state, for its script to reload the page when the state changes."""
    try:
        order = _order_for(request, number)
    except Http404:
        return json_error("order_not_found", "No such order.", status=404)
    state = order_state_get(order=order)
    return JsonResponse(
        {
            "order": order.number,
            "state": state.key,
            "headline": state.headline,
            "refresh_seconds": state.refresh_seconds,
        }
    )


@require_GET
def cancelled(request, number):
    order = _order_for(request, number)
    session_ref = _session_ref(request)
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
        session = session_resume(
            order=order,
            base_url=base_url(request),
            actor=request.user if request.user.is_authenticated else None,
        )
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
    stage, refusal = _hosted_stage(session)
    if request.method == "POST" and stage:
        return _hosted_action(request, session, stage, request.POST.get("action", ""))
    lines = list(session.order.lines.all())
    return render(
        request,
        "checkout/hosted.html",
        {
            "session": session,
            "order": session.order,
            "lines": lines,
            "stage": stage,
            "plan": order_payment_plan(order=session.order, lines=lines),
            "refusal": refusal,
        },
    )


# What each stage of the simulated page offers: (event type, session status, payment status).
# A bank transfer completes the session unpaid, as Stripe does for delayed methods; the bank's
# answer comes later as an async_payment event.
HOSTED_ACTIONS = {
    "pay": {
        "pay": ("checkout.session.completed", "complete", "paid"),
        "pay_delayed": ("checkout.session.completed", "complete", "unpaid"),
        "expire": ("checkout.session.expired", "expired", "unpaid"),
    },
    "bank": {
        "bank_confirm": ("checkout.session.async_payment_succeeded", "complete", "paid"),
        "bank_reject": ("checkout.session.async_payment_failed", "complete", "unpaid"),
    },
}


def _hosted_stage(session) -> tuple[str, str | None]:
    """("pay" or "bank", None) while the page has something to do, else ("", why not)
    (also when an old page's form is posted again)."""
    order = session.order
    if order.is_paid:
        return "", f"Order {order.number} is already paid. Nothing was charged here."
    if order.status != OrderStatus.PENDING:
        return "", (
            f"Order {order.number} is {order.get_status_display().lower()}. "
            "Nothing was charged here."
        )
    if (
        session.status == SessionStatus.COMPLETE
        and session.payment_status == PaymentStatus.PROCESSING
    ):
        return "bank", None
    if session.status not in PAYABLE:
        return "", (
            f"This payment page is {session.get_status_display().lower()}. "
            "Nothing was charged here."
        )
    return "pay", None


def _hosted_action(request, session, stage, action):
    order_url = session.order.get_absolute_url()
    if stage == "pay" and action == "cancel":
        return redirect(
            f"{reverse('checkout:cancelled', kwargs={'number': session.order.number})}?session_id={session.provider_id}"
        )
    event = HOSTED_ACTIONS[stage].get(action)
    if event is None:
        messages.error(
            request,
            "Choose pay, cancel or let the session expire."
            if stage == "pay"
            else "Choose whether the bank confirms or rejects the transfer.",
        )
        return redirect(session.url)
    event_type, status, payment_status = event
    payload, signature = get_gateway().signed_event(
        event_type, session_object(session, status=status, payment_status=payment_status)
    )
    try:
        webhook_ingest(payload=payload, signature_header=signature)
    except HandlerFailed:
        messages.error(request, "The payment could not be recorded; please try again.")
        return redirect(session.url)
    return redirect(f"{order_url}?session_id={session.provider_id}")
