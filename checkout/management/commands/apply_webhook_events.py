import time

from django.core.management.base import BaseCommand

from checkout.selectors import webhook_queue
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
        self.stdout.write(f"{webhook_queue()['waiting']:,} event(s) waiting")
        started = time.monotonic()
        total = 0
        while applied := webhooks_apply_due(limit=batch):
            total += applied
            rate = total / max(time.monotonic() - started, 1e-9)
            self.stdout.write(f"  applied {total:,} ({rate:,.0f}/s)")
        elapsed = time.monotonic() - started
        left = webhook_queue()
        self.stdout.write(
            self.style.SUCCESS(
                f"Applied {total:,} event(s) in {elapsed:.1f}s; {left['waiting']:,} waiting for "
                f"a retry, {left['failed_awaiting_redelivery']:,} failed for good."
            )
        )
