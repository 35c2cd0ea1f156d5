import time

from django.core.management.base import BaseCommand

from checkout.models import WebhookEvent, WebhookOutcome
from checkout.webhooks import webhooks_apply_due


class Command(BaseCommand):
    help = (
        "Apply the Stripe events that are due (queued mode, or failed ones whose retry is due) "
        "until none is left, showing progress. Worker loops do the same continuously; several "
        "of these may run at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=200, help="events per progress line")

    def handle(self, *args, batch=200, **options):
        waiting = WebhookEvent.objects.filter(
            outcome__in=[WebhookOutcome.RECEIVED, WebhookOutcome.FAILED],
            next_attempt_at__isnull=False,
        ).count()
        self.stdout.write(f"{waiting:,} event(s) waiting")
        started = time.monotonic()
        total = 0
        while applied := webhooks_apply_due(limit=batch):
            total += applied
            rate = total / max(time.monotonic() - started, 1e-9)
            self.stdout.write(f"  applied {total:,} ({rate:,.0f}/s)")
        failed = WebhookEvent.objects.filter(outcome=WebhookOutcome.FAILED).count()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Applied {total:,} event(s) in {elapsed:.1f}s; {failed:,} failed.")
        )
