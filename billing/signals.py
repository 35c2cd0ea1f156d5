from django.dispatch import Signal

# Sent inside the transaction that records a refund, after the invoice's refunded total moved
# (kwargs: invoice). Experiments receive it to subtract refunds from their conversions.
invoice_refunded = Signal()
