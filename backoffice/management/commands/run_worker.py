import math
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backoffice.queues import QUEUES, run_queues
from fulfillment.processor import worker_name


def queue_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(QUEUES))
    if unknown or not names:
        raise CommandError(
            f"Unknown queue(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(QUEUES)}."
        )
    return list(dict.fromkeys(names))


class Command(BaseCommand):
    help = (
        "A dedicated worker: each named queue in its own thread, so a slow mail server or "
        "provider never holds up payments. Queues: "
        + "; ".join(f"{q.name}: {q.does}" for q in QUEUES.values())
        + ". Stop with SIGTERM: each queue finishes its current pass."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues",
            default=",".join(QUEUES),
            help=f"comma-separated, default all: {','.join(QUEUES)}",
        )
        parser.add_argument("--once", action="store_true", help="process what is due, then exit")
        parser.add_argument(
            "--batch", type=int, default=None, help="items per pass (default: each queue's own)"
        )
        parser.add_argument("--sleep", type=float, default=settings.FULFILLMENT_POLL_SECONDS)

    def handle(self, *args, queues, once=False, batch=None, sleep=2.0, **options):
        names = queue_names(queues)
        if batch is not None and batch < 1:
            raise CommandError("--batch must be at least 1.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(
            f"worker {worker_name()}: queues {', '.join(names)}; polling every {sleep}s"
        )
        self.stdout.flush()  # a supervisor reading the log sees the worker up at once
        runs = run_queues(
            names,
            poll=sleep,
            seconds=0 if once else math.inf,
            batch=batch,
            stop=stop,
            report=lambda name, taken: self.stdout.write(f"  {name}: took {taken}"),
        )
        summary = ", ".join(
            f"{name} {run.taken}" + (f" ({run.errors} failed passes)" if run.errors else "")
            for name, run in runs.items()
        )
        if once and any(run.errors for run in runs.values()):
            raise CommandError(f"stopped with errors: {summary}")
        self.stdout.write(self.style.SUCCESS(f"stopped; items taken: {summary}"))
