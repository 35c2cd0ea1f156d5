from django.contrib.auth.signals import user_logged_in

from core.outbox import email_send_check
from orders.signals import order_status_changed

from .models import Cart
from .recovery import KIND, recovery_keys_unwanted, recovery_withdraw
from .services import CART_TOKEN_KEY, cart_merge


def merge_visitor_cart(sender, request, user, **kwargs):
    """A visitor's cart joins the client's cart on sign-in; the session token survives login."""
    if request is None or not hasattr(request, "session"):
        return
    token = request.session.pop(CART_TOKEN_KEY, None)
    visitor_cart = Cart.objects.filter(session_key=token).first() if token else None
    if visitor_cart is None:
        return
    target, _ = Cart.objects.get_or_create(user=user)
    cart_merge(source=visitor_cart, target=target)
    request.session["cart_count"] = target.items.count()


user_logged_in.connect(merge_visitor_cart, dispatch_uid="checkout-merge-cart")
order_status_changed.connect(recovery_withdraw, dispatch_uid="checkout-recovery-withdraw")
email_send_check(KIND, recovery_keys_unwanted)
