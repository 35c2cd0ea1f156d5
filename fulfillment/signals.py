import time

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

from orders.signals import order_paid, order_released, order_status_changed

from .processor import STOPPED_ORDER_STATUSES
from .services import tasks_cancel_for_order, tasks_create_for_order, tasks_resume_for_order

# A kick runs every due task, so one per process per interval is enough (busy shops pay
# many orders a second); the schedule and worker loops pick up the rest anyway.
KICK_INTERVAL_SECONDS = 1.0
_last_kick = [float("-inf")]


def start_fulfillment(sender, order, **kwargs):
    """Tasks are created atomically with the payment; work starts right after commit."""
    if tasks_create_for_order(order=order) and settings.FULFILLMENT_KICK_ON_PAYMENT:
        transaction.on_commit(_kick)


def _kick():
    now = time.monotonic()
    if now - _last_kick[0] < KICK_INTERVAL_SECONDS:
        return
    _last_kick[0] = now
    async_task("fulfillment.tasks.process_due_tasks", task_name="fulfillment-kick")


def stop_fulfillment(sender, order, to_status, actor=None, reason="", **kwargs):
    if to_status in STOPPED_ORDER_STATUSES:
        label = order.get_status_display().lower()
        tasks_cancel_for_order(
            order_id=order.pk,
            actor=actor,
            reason=f"Order {label}: {reason}" if reason else f"Order {label}",
        )


def resume_fulfillment(sender, order, actor, reason, retry_failed, **kwargs):
    tasks_resume_for_order(order_id=order.pk, actor=actor, reason=reason, retry_failed=retry_failed)


order_paid.connect(start_fulfillment, dispatch_uid="fulfillment-start")
order_status_changed.connect(stop_fulfillment, dispatch_uid="fulfillment-stop")
order_released.connect(resume_fulfillment, dispatch_uid="fulfillment-resume")
