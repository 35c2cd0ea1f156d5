import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from fulfillment.services import worker_name
from smplat.worker import work_cycle


class Command(BaseCommand):
    help = (
        "A dedicated worker: apply queued payment events, claim due fulfillment tasks in "
        "batches and run them, send order e-mails; until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process what is due, then exit")
        parser.add_argument("--batch", type=int, default=settings.FULFILLMENT_BATCH_SIZE)
        parser.add_argument("--sleep", type=float, default=settings.FULFILLMENT_POLL_SECONDS)

    def handle(self, *args, once=False, batch=50, sleep=2.0, **options):
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        worker = worker_name()
        self.stdout.write(
            f"fulfillment worker {worker}: batches of {batch}, polling every {sleep}s"
        )
        total = 0
        while not stopping:
            cycle = work_cycle(worker=worker, batch=batch)
            result = cycle.tasks
            if cycle.events:
                self.stdout.write(f"  applied {cycle.events} payment event(s)")
            if cycle.emails:
                self.stdout.write(f"  sent {cycle.emails} order e-mail(s)")
            total += result.claimed
            if result.claimed:
                self.stdout.write(
                    f"  claimed {result.claimed}: {result.succeeded} done, {result.progressed} "
                    f"progressing, {result.retried} retrying, {result.dead} dead ({total} so far)"
                )
            if cycle.busy:
                continue
            if once:
                break
            time.sleep(sleep)
        self.stdout.write(self.style.SUCCESS(f"stopped after {total} task run(s)"))
