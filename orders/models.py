import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.models import TimeStampedModel
from core.money import Money


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Awaiting payment"
    PROCESSING = "processing", "Processing"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class Order(TimeStampedModel):
    number = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    email = models.EmailField()
    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    currency = models.CharField(max_length=3)
    subtotal_amount = models.PositiveBigIntegerField()
    discount_amount = models.PositiveBigIntegerField(default=0)
    total_amount = models.PositiveBigIntegerField()
    is_subscription = models.BooleanField(default=False)
    # One checkout form render = one token: resubmits find the order instead of making another.
    checkout_token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # The browser's visitor id at checkout (core.visitors), so that experiments can attribute
    # the paid order to the variant it saw before signing in.
    visitor_id = models.CharField(
        max_length=32, blank=True, default="", db_default="", editable=False
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return self.number

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def get_absolute_url(self):
        return reverse("checkout:order-status", kwargs={"number": self.number})


class OrderLine(models.Model):
    """A price snapshot: what was bought and what it cost when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)
    configuration = models.JSONField()
    breakdown = models.JSONField()
    quantity = models.PositiveIntegerField()
    billing = models.CharField(max_length=16)
    interval = models.CharField(max_length=8, blank=True)
    target = models.CharField(
        max_length=300, help_text="The accounts to grow, as the customer reads them."
    )
    targets = models.JSONField(
        default=list, blank=True, help_text="Every account the line is delivered to, in order."
    )
    currency = models.CharField(max_length=3)
    gross_amount = models.PositiveBigIntegerField()
    discount_amount = models.PositiveBigIntegerField()
    total_amount = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.title} × {self.quantity}"

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)

    @property
    def accounts(self) -> list[str]:
        """Every account the line is delivered to; a line written with only its summary (by
        staff or an import) is delivered to that one, never to none."""
        return list(self.targets) or [self.target]

    @property
    def quantity_per_target(self) -> int:
        """What each account receives: a line of 3 accounts is three deliveries of one."""
        return self.quantity // len(self.accounts)


class OrderStatusChange(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=40, help_text="system, webhook, staff, …")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        before = self.get_from_status_display() or "—"
        return f"{self.order}: {before} → {self.get_to_status_display()}"


class OrderNumberSequence(models.Model):
    """One row per year; locked to hand out human order numbers without gaps or clashes."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class NotificationTopic(models.TextChoices):
    """What an e-mail to a client is about; each is a yes/no field of NotificationPreference."""

    ORDER_UPDATES = "order_updates", "Order updates"
    WEEKLY_DIGEST = "weekly_digest", "Weekly digest"
    MARKETING = "marketing", "Offers and new services"


class NotificationPreference(models.Model):
    """What a client wants to hear from us by e-mail (no row: each field's default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    order_updates = models.BooleanField(
        default=True, help_text="E-mail me when an order changes status."
    )
    weekly_digest = models.BooleanField(default=True, help_text="Send me the weekly digest.")
    marketing = models.BooleanField(
        default=False, help_text="Tell me about offers and new services."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Preferences of {self.user}"


class OrderSelection(models.Model):
    """The order a client last picked on the dashboard; it opens there on every device."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_selection"
    )
    # SET_NULL: a deleted order leaves the dashboard on the client's latest order.
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: {self.order_id or 'latest'}"


class OrderNotification(models.Model):
    """An order status e-mail, written with the status change and sent after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"  # claimed by a worker until `claimed_until`
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (client opted out)"
        FAILED = "failed", "Failed"
        COMBINED = "combined", "Combined into a later e-mail"
        DEMO = "demo", "Not sent (demo data)"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    email = models.EmailField()
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        # The oldest pending, due e-mail (/metrics, the e-mail queue) without walking past
        # every sent one in `next_attempt_at` order.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx")]

    def __str__(self):
        return f"{self.order} → {self.to_status} ({self.status})"
