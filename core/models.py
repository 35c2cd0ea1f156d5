import hashlib

from django.conf import settings
from django.db import models
from waffle.models import AbstractUserFlag


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def rollout_bucket(flag_name: str, user_id: int) -> int:
    """0–999: where an account falls in a flag's percentage rollout. The same for the same
    (flag, account) in every process and on every device; independent between flags."""
    digest = hashlib.sha256(f"{flag_name}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 1000


class Flag(AbstractUserFlag):
    """A staged-rollout flag (django-waffle's flag, ADR 0014): on for everyone, staff, chosen
    accounts, groups or a percentage of accounts.

    Two changes to waffle's own: staff always see what a flag hides, and a percentage picks
    accounts by a hash of the flag's name and the account's id, never by a browser cookie
    or chance, so an account gets the same answer on every device and in every process.
    Visitors who are not signed in are never in a percentage.
    """

    class Meta(AbstractUserFlag.Meta):
        verbose_name = "feature flag"
        verbose_name_plural = "feature flags"

    def is_active(self, request, read_only: bool = False) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return True
        return bool(super().is_active(request, read_only=read_only))

    def _is_active_for_percent(self, request, read_only: bool) -> bool | None:
        if not self.percent or self.percent <= 0:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        return rollout_bucket(self.name, user.pk) < self.percent * 10


class Via(models.TextChoices):
    """Where an audited action came from."""

    STAFF_VIEW = "staff_view", "Staff view"
    ADMIN = "admin", "Admin"
    API = "api", "Operator API"
    CUSTOMER = "customer", "Customer"
    SYSTEM = "system", "System"


class AuditEntry(models.Model):
    """Who did what to which object, and when: written by the services behind every operator
    quick action, so the staff view, the admin and the API leave the same trail."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for calls with the operator API key.",
    )
    actor_name = models.CharField(max_length=150, help_text="As it was when the action ran.")
    via = models.CharField(max_length=16, choices=Via.choices)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.actor_name} · {self.action} · {self.object_repr}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # claimed by a worker until `claimed_until`
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled (no longer wanted)"


class Delivery(models.Model):
    """Something sent to the outside once, by a worker queue (`core.delivery`): claimed with a
    lease, tried with backoff, its outcome recorded. `key` is unique, so whoever queues it
    twice (a second run, a second machine) gets the first row back instead of a copy."""

    key = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=32, db_index=True)
    status = models.CharField(
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.key} ({self.status})"


class OutgoingEmail(Delivery):
    """An e-mail rendered when it was queued (recovery e-mails, digests); the e-mail queue
    sends it. Order status e-mails have their own table (`orders.OrderNotification`)."""

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)

    class Meta(Delivery.Meta):
        verbose_name = "outgoing e-mail"


class ChatMessage(Delivery):
    """A message for the operators' chat (a Slack-compatible incoming webhook); the chat queue
    posts it. `payload` is what is posted: Slack's {"text": …, "blocks": [...]}."""

    payload = models.JSONField()

    class Meta(Delivery.Meta):
        verbose_name = "chat message"


class ChatAttempt(models.Model):
    """One try at posting a chat message: the delivery log staff read when a message is late."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"{self.message.key} try {self.number}"
