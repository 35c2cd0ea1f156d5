from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.models import TimeStampedModel


class Adapter(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (simulated delivery)"
    PROVIDER_PANEL = "provider_panel", "Reseller panel (HTTP API)"
    INSTAGRAM = "instagram", "Instagram Graph API"
    MANUAL = "manual", "Manual (staff marks done)"
    NOOP = "noop", "No-op (does nothing; for checks and benchmarks)"


class StepKind(models.TextChoices):
    DELIVERY = "delivery", "Delivery"
    ANALYTICS = "analytics", "Analytics snapshot"
    REVIEW = "review", "Staff review"
    NOOP = "noop", "No-op"


class PlanStep(models.Model):
    """One step of a product's fulfillment plan; a paid order line gets a task per step."""

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="plan_steps"
    )
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    adapter = models.CharField(max_length=20, choices=Adapter.choices, default=Adapter.SANDBOX)
    parameters = models.JSONField(default=dict, blank=True)
    delay_seconds = models.PositiveIntegerField(
        default=0, help_text="Wait this long after payment before the first run."
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    backoff_base_seconds = models.PositiveIntegerField(default=10)
    backoff_cap_seconds = models.PositiveIntegerField(default=3600)

    class Meta:
        ordering = ["product", "position", "id"]

    def __str__(self):
        return f"{self.product}: {self.name}"


class TaskStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING_STAFF = "waiting_staff", "Waiting for staff"
    SUCCEEDED = "succeeded", "Succeeded"
    SKIPPED = "skipped", "Skipped"
    DEAD = "dead", "Dead-lettered"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (TaskStatus.SUCCEEDED, TaskStatus.SKIPPED, TaskStatus.CANCELLED)


class FulfillmentTask(TimeStampedModel):
    """One step for one account of an order line, with its own attempts, lease and outcome."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="tasks")
    order_line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    step = models.ForeignKey(PlanStep, null=True, blank=True, on_delete=models.SET_NULL)
    target = models.CharField(
        max_length=300, blank=True, help_text="The account this task delivers to."
    )
    position = models.PositiveSmallIntegerField(default=0)
    # The step as it was when the order was paid: plan edits never change running work.
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    adapter = models.CharField(max_length=20, choices=Adapter.choices)
    parameters = models.JSONField(default=dict, blank=True)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    backoff_base_seconds = models.PositiveIntegerField(default=10)
    backoff_cap_seconds = models.PositiveIntegerField(default=3600)

    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.QUEUED, db_index=True
    )
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Consecutive attempts without progress; resets when the step advances."
    )
    runs = models.PositiveIntegerField(default=0)
    locked_by = models.CharField(max_length=100, blank=True)
    interrupted = models.BooleanField(
        default=False,
        help_text="The last run was lost (its worker stopped or its lease ran out) before it "
        "recorded what it did; cleared when a run records its outcome or staff retry it now.",
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    # Delivery counters (provider panels report these).
    remote_id = models.CharField(max_length=100, blank=True)
    start_count = models.PositiveBigIntegerField(null=True, blank=True)
    quantity = models.PositiveBigIntegerField(null=True, blank=True)
    delivered = models.PositiveBigIntegerField(null=True, blank=True)
    remains = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["order", "position", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="task_due_idx")]

    def __str__(self):
        return f"{self.order} · {self.name}"

    @property
    def idempotency_key(self) -> str:
        return f"task-{self.pk}-run-{self.runs}"


class TaskAttempt(models.Model):
    task = models.ForeignKey(FulfillmentTask, on_delete=models.CASCADE, related_name="attempt_log")
    run = models.PositiveIntegerField()
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)  # succeeded | progress | retry | dead
    error = models.TextField(blank=True)
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["task", "run"]

    def __str__(self):
        return f"{self.task_id} run {self.run}: {self.outcome or 'running'}"


class EventSource(models.TextChoices):
    PROCESSOR = "processor", "Processor"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class TaskEvent(models.Model):
    """Every status change of a task: which action, from and to, by whom (a staff member, or
    the processor or system as `source`), and why."""

    # Written only by `tasks_move`, for rows it has just updated in the same transaction, two per
    # task run: no database foreign-key check per row (deleting a task still deletes its events).
    task = models.ForeignKey(
        FulfillmentTask, on_delete=models.CASCADE, related_name="events", db_constraint=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=EventSource.choices, default=EventSource.STAFF)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        labels = dict(TaskStatus.choices)
        before = labels.get(self.from_status, self.from_status) or "—"
        return f"{before} → {labels.get(self.to_status, self.to_status)}"


class AnalyticsSnapshot(models.Model):
    """Account figures on one day, from the Instagram Graph API or the sandbox."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="snapshots")
    account = models.CharField(max_length=100)
    captured_on = models.DateField()
    followers = models.PositiveBigIntegerField()
    follows = models.PositiveBigIntegerField(default=0)
    media_count = models.PositiveBigIntegerField(default=0)
    # None: the metric was not measured (Graph refused it, or the source has no such figure).
    reach = models.PositiveBigIntegerField(null=True, blank=True)
    views = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Times the account's content was seen (Graph `views`)."
    )
    profile_views = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "account", "captured_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "account", "captured_on"], name="snapshot_one_per_day"
            )
        ]

    def __str__(self):
        return f"{self.account} {self.captured_on}: {self.followers}"


class ProcessorCounter(models.Model):
    """Telemetry shared by every worker process: one row per counter."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}={self.value}"
