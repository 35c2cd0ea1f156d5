from django.dispatch import Signal

# Sent inside the transaction that records a confirmed payment (kwargs: order). Fulfillment
# receives it to create the order's tasks atomically with the payment.
order_paid = Signal()

# Sent inside the transaction of every status change (kwargs: order, from_status, to_status).
order_status_changed = Signal()
