from django.conf import settings
from django.db import transaction

from orders.signals import order_paid

from .services import tasks_create_for_order


def start_fulfillment(sender, order, **kwargs):
    """Tasks are created atomically with the payment; work starts right after commit."""
    if tasks_create_for_order(order=order) and settings.FULFILLMENT_KICK_ON_PAYMENT:
        transaction.on_commit(_kick)


def _kick():
    from django_q.tasks import async_task

    async_task("fulfillment.tasks.process_due_tasks", task_name="fulfillment-kick")


order_paid.connect(start_fulfillment, dispatch_uid="fulfillment-start")
