from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel
from core.money import Money


class InvoiceSequence(models.Model):
    """One row per year, locked while numbering: invoice numbers have no gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Invoice(TimeStampedModel):
    class Kind(models.TextChoices):
        ORDER = "order", "Order"
        RENEWAL = "renewal", "Subscription renewal"

    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PAID)
    currency = models.CharField(max_length=3)
    subtotal_amount = models.PositiveBigIntegerField()
    discount_amount = models.PositiveBigIntegerField(default=0)
    total_amount = models.PositiveBigIntegerField()
    refunded_amount = models.PositiveBigIntegerField(default=0)
    payment_reference = models.CharField(max_length=255, blank=True, db_index=True)
    provider_invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    issued_at = models.DateTimeField()
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        # /metrics sums totals by currency from this index alone, not the whole table.
        indexes = [models.Index(fields=["currency", "total_amount"], name="invoice_currency_total")]
        constraints = [
            # One order invoice per order; renewals are keyed by the provider's invoice id.
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="order"), name="invoice_one_per_order"
            ),
            models.CheckConstraint(
                name="invoice_refund_not_above_total",
                condition=Q(refunded_amount__lte=models.F("total_amount")),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    gross_amount = models.PositiveBigIntegerField()
    discount_amount = models.PositiveBigIntegerField(default=0)
    total_amount = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.description


class Subscription(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        UNPAID = "unpaid", "Unpaid"
        CANCELED = "canceled", "Canceled"
        INCOMPLETE = "incomplete", "Incomplete"
        TRIALING = "trialing", "Trialing"
        PAUSED = "paused", "Paused"

    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="subscription"
    )
    provider_id = models.CharField(max_length=255, unique=True)
    customer_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    last_payment_error = models.CharField(max_length=500, blank=True)
    # The provider's event time of the last status we applied: older events never overwrite it.
    status_updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.provider_id


class Refund(TimeStampedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    provider_id = models.CharField(max_length=255, unique=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=100, blank=True)

    def __str__(self):
        return self.provider_id
