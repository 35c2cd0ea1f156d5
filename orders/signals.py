from django.dispatch import Signal

# Sent inside the transaction that records a confirmed payment (kwargs: order). Fulfillment
# receives it to create the order's tasks atomically with the payment.
order_paid = Signal()

# Sent inside the transaction of every status change (kwargs: order, from_status, to_status,
# source, actor, reason).
order_status_changed = Signal()

# Sent inside the transaction in which staff release an order's hold, after it moved on to
# processing (kwargs: order, actor, reason, retry_failed — whether work that failed runs again
# or is dropped). Fulfillment receives it to resume the order's tasks.
order_released = Signal()
