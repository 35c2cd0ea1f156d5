"""What the staff view's tests build: staff accounts, orders awaiting payment, dead letters."""

from django.contrib.auth.models import Permission
from django.test import Client

from fulfillment.models import FulfillmentTask, TaskStatus
from tests.checkout.factories import placed_order, post_event, session_event, user
from tests.fulfillment.factories import paid_order, product_with_plan

STAFF_URL = "/dashboard/staff/"


def operator(username="ops", *, permissions=("change_checkoutsession", "change_fulfillmenttask")):
    """A staff account with the permissions the quick actions ask for (not a superuser)."""
    account = user(username, is_staff=True)
    account.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    return account


def paid(order, session):
    """Pay `session` through a signed webhook, as Stripe would."""
    assert post_event(Client(), session_event(session)).status_code == 200
    order.refresh_from_db()
    session.refresh_from_db()
    return order, session


def dead_task(error="Provider refused: link private"):
    """A paid order's task that ran out of attempts."""
    order = paid_order(Client(), product_with_plan())
    task = order.tasks.get()
    FulfillmentTask.objects.filter(pk=task.pk).update(
        status=TaskStatus.DEAD, last_error=error, attempts=task.max_attempts
    )
    task.refresh_from_db()
    return task


__all__ = ["STAFF_URL", "dead_task", "operator", "paid", "placed_order", "user"]
