from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel


class Cart(TimeStampedModel):
    """A visitor's cart is keyed by session, a client's by account; both live in the database."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="cart_has_one_owner",
                condition=Q(user__isnull=False, session_key__isnull=True)
                | Q(user__isnull=True, session_key__isnull=False),
            )
        ]

    def __str__(self):
        return f"Cart {self.pk}"


class CartItem(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    configuration = models.JSONField(help_text="Ids and quantity only; priced on every read.")
    bundle = models.ForeignKey(
        "catalog.Bundle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Added as part of this bundle: its saving applies once the set is complete.",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.product_id} in cart {self.cart_id}"


class SessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"
    EXPIRED = "expired", "Expired"
    ABANDONED = "abandoned", "Abandoned"


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    PAID = "paid", "Paid"
    PROCESSING = "processing", "Processing (delayed payment method)"
    FAILED = "failed", "Failed"


class CheckoutSession(TimeStampedModel):
    """One hosted payment attempt for an order (Stripe Checkout Session or the local gateway)."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="checkout_sessions"
    )
    gateway = models.CharField(max_length=16)
    provider_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    mode = models.CharField(max_length=16)  # payment | subscription
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.OPEN, db_index=True
    )
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount_total = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    expires_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    regenerated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="regenerated_as"
    )
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    subscription_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "attempt"], name="session_unique_attempt")
        ]

    def __str__(self):
        return self.provider_id or f"session {self.pk}"


class WebhookOutcome(models.TextChoices):
    RECEIVED = "received", "Received (not applied yet)"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (unhandled type)"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """Every Stripe event we were sent, once per event id, with its delivery history."""

    # Few indexes on purpose: every delivery writes this table (see Meta).
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(
        max_length=16,
        choices=WebhookOutcome.choices,
        default=WebhookOutcome.RECEIVED,
    )
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_ms = models.FloatField(null=True, blank=True)
    # When a worker should apply it next; set exactly while it is received or failed and
    # still to be retried (None once done, or given up on).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processing_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            # A constraint rather than unique=True: no second (LIKE) index on PostgreSQL.
            models.UniqueConstraint(fields=["event_id"], name="webhook_event_id_unique"),
        ]
        indexes = [
            # Partial, in claiming order: only events still to apply, a small slice.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_due",
                condition=models.Q(next_attempt_at__isnull=False),
            ),
            models.Index(
                fields=["outcome"],
                name="webhook_unfinished",
                condition=models.Q(outcome__in=["received", "failed"]),
            ),
            # /metrics counts every event by (type, outcome): read from this index alone
            # instead of the table with its payloads (bench/README.md, "Metrics benchmark").
            models.Index(fields=["type", "outcome"], name="webhook_type_outcome"),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class DuplicatePayment(TimeStampedModel):
    """A payment for an order that another session had paid already: refunded automatically.

    Recorded in the event's transaction; the refund goes to the gateway after commit (and from
    the worker loops while it is due), never inside a transaction.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Refund pending"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Refund failed: needs staff"

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="duplicate_payments"
    )
    session = models.OneToOneField(
        CheckoutSession, on_delete=models.PROTECT, related_name="duplicate_payment"
    )
    payment_intent = models.CharField(max_length=255, blank=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next refund attempt is due; a claimed attempt holds it as a lease.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refund_id = models.CharField(max_length=255, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Second payment for {self.order} ({self.get_status_display().lower()})"


class RefundLookup(TimeStampedModel):
    """A `charge.refunded` whose invoice only the gateway can name (subscription payments).

    The event's handler records it; the gateway is asked outside any transaction and the
    refund is applied in a short one afterwards, retried while the gateway is unreachable.
    """

    event_id = models.CharField(max_length=255, unique=True)
    charge = models.JSONField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set exactly while a lookup is due (None once applied, or given up on).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"Refund of {self.charge.get('id')} ({self.event_id})"
