import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from catalog.pricing import default_configuration
from catalog.selectors import product_get_for_pricing
from checkout.gateways.local import LocalGateway, session_object
from checkout.models import Cart
from checkout.services import cart_add, checkout_submit, session_open_at_gateway
from checkout.webhooks import webhook_ingest, webhooks_apply_due
from fulfillment.processor import process_due
from fulfillment.services import task_force_complete, tasks_postpone_for_order
from orders.models import Order, OrderStatus
from orders.notifications import notifications_hold_back
from orders.services import order_put_on_hold, order_transition

# (service, account to grow, status to leave the order in)
DEMO_ORDERS = [
    ("instagram-growth", "@demo.cafe", OrderStatus.COMPLETED),
    ("tiktok-growth", "@demo.cafe", OrderStatus.ACTIVE),
    ("instagram-audit", "@demo.cafe", OrderStatus.PROCESSING),
    ("youtube-subscribers", "@demochannel", OrderStatus.ON_HOLD),
    ("instagram-likes", "@demo.cafe", OrderStatus.PENDING),
    ("tiktok-views", "@demo.cafe", OrderStatus.CANCELLED),
    ("reels-production", "https://demo-cafe.example", OrderStatus.REFUNDED),
]
# The sandbox delivers within seconds; the seeded in-flight orders wait this long for their
# next step, so a new user finds an order in every state whenever the workers run.
DEMO_PACE = timedelta(days=30)


class Command(BaseCommand):
    help = "Give the demo client orders in every state, through the real checkout and webhooks."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="client")

    def handle(self, *args, username, **options):
        client = get_user_model().objects.filter(username=username).first()
        staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
        if client is None:
            raise CommandError(f"No user {username!r}; run seed_demo first.")
        if Order.objects.filter(user=client).exists():
            self.stdout.write("Demo orders already present.")
            return
        for index, (slug, target, status) in enumerate(DEMO_ORDERS, start=1):
            order = self._place(client, slug, target)
            self._bring_to(order, status, staff)
            notifications_hold_back(order=order)  # seeding must not e-mail anybody
            tasks_postpone_for_order(order_id=order.pk, until=timezone.now() + DEMO_PACE)
            self.stdout.write(f"  order {index}/{len(DEMO_ORDERS)}: {order.number} {status}")
        self.stdout.write(self.style.SUCCESS(f"Demo orders ready for {username}."))

    def _place(self, client, slug, target) -> Order:
        product = product_get_for_pricing(slug=slug)
        cart, _ = Cart.objects.get_or_create(user=client)
        cart_add(cart=cart, product=product, configuration=default_configuration(product))
        item = cart.items.get()
        order, session, _ = checkout_submit(
            cart=cart,
            user=client,
            email=client.email,
            name="Demo Client",
            targets={item.pk: [target]},
            checkout_token=uuid.uuid4(),
        )
        session_open_at_gateway(session=session, base_url="")
        return order

    def _pay(self, order: Order) -> None:
        session = order.checkout_sessions.get()
        gateway = LocalGateway(webhook_secret=_secret())
        payload, signature = gateway.signed_event(
            "checkout.session.completed",
            session_object(session, status="complete", payment_status="paid"),
        )
        webhook_ingest(payload=payload, signature_header=signature)
        webhooks_apply_due()  # in queued mode the workers would; the demo needs it now

    def _bring_to(self, order: Order, status: str, staff) -> None:
        if status == OrderStatus.PENDING:
            return
        if status == OrderStatus.CANCELLED:
            order_transition(
                order_id=order.pk,
                to_status=status,
                source="staff",
                actor=staff,
                reason="Client changed their mind",
            )
            return
        self._pay(order)
        if status == OrderStatus.PROCESSING:
            return
        if status == OrderStatus.REFUNDED:
            order_transition(
                order_id=order.pk,
                to_status=status,
                source="staff",
                actor=staff,
                reason="Refunded at the client's request",
            )
            return
        if status == OrderStatus.ON_HOLD:
            order_put_on_hold(
                order_id=order.pk,
                actor=staff,
                reason="Waiting for the client to make the channel public",
            )
            return
        process_due(worker="seed-demo")  # sandbox delivery starts: the order is active
        if status == OrderStatus.COMPLETED:
            for task in order.tasks.exclude(status="succeeded"):
                task_force_complete(task_id=task.pk, actor=staff, reason="Delivered (demo)")


def _secret() -> str:
    return settings.STRIPE_WEBHOOK_SECRET
